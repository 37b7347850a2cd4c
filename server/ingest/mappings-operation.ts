import type { InteractionContext } from '../fhir/context.ts';
import { stringifyJson } from '../fhir/json/index.ts';
import type { OperationHandler } from '../fhir/operations/operation-registry.ts';
import { badRequest, notFound } from '../fhir/outcome.ts';
import { queryValue, type FhirRequest, type FhirResponse } from '../fhir/request.ts';
import { operationOutcomeOf, outcomeIssue } from './issue-outcome.ts';
import type { MappingSource } from './mapping-source.ts';
import type { MappingListing, MappingStore, StoredMapping } from './mapping-store.ts';
import { stringPart } from './parameters.ts';

type Json = Record<string, any>;

function listingPart(listing: MappingListing): Json {
  const part: Json[] = [
    { name: 'id', valueString: listing.id },
    { name: 'title', valueString: listing.title },
    { name: 'kind', valueCode: listing.kind },
    { name: 'identity', valueCode: listing.identity },
    { name: 'source', valueCode: listing.source },
    ...listing.formats.map((format) => ({ name: 'format', valueCode: format })),
  ];
  if (listing.version !== undefined) part.push({ name: 'version', valueInteger: listing.version });
  if (listing.createdAt) part.push({ name: 'created', valueDateTime: listing.createdAt });
  return { name: 'mapping', part };
}

function versionPart(stored: StoredMapping): Json {
  const part: Json[] = [
    { name: 'id', valueString: stored.id },
    { name: 'version', valueInteger: stored.version },
    { name: 'format', valueCode: stored.format },
    { name: 'source', valueCode: stored.source },
    { name: 'created', valueDateTime: stored.createdAt },
    { name: stored.format === 'medtech' ? 'deviceMapping' : 'mapping', valueString: stored.definition },
  ];
  if (stored.fhirDefinition !== undefined) part.push({ name: 'fhirMapping', valueString: stored.fhirDefinition });
  if (stored.identity) part.push({ name: 'identity', valueCode: stored.identity });
  return { name: 'mapping', part };
}

/** A mapping as POSTed: Parameters (mapping | id + deviceMapping [+ fhirMapping, identity]) or the mapping JSON itself. */
function sourceFrom(request: FhirRequest): MappingSource {
  const body = request.body as Json | undefined;
  if (request.bodyText !== undefined) return { format: 'vitalchain', definition: request.bodyText };
  if (body?.resourceType === 'Parameters') {
    const parts: Json[] = Array.isArray(body.parameter) ? body.parameter : [];
    const definition = stringPart(parts, 'mapping');
    if (definition !== undefined) return { format: 'vitalchain', definition };
    const deviceMapping = stringPart(parts, 'deviceMapping');
    const id = stringPart(parts, 'id');
    if (deviceMapping === undefined) throw badRequest('Parameters needs a mapping part, or deviceMapping (+ fhirMapping) with an id (valueString)', ['Parameters.parameter'], 'required');
    if (id === undefined) throw badRequest('MedTech templates carry no id: add an id part (valueString)', ['Parameters.parameter'], 'required');
    const identity = stringPart(parts, 'identity');
    if (identity !== undefined && identity !== 'lookup' && identity !== 'create') throw badRequest(`identity must be lookup or create, not '${identity.slice(0, 40)}'`, ['Parameters.parameter'], 'value');
    const fhirDefinition = stringPart(parts, 'fhirMapping');
    return { format: 'medtech', id, definition: deviceMapping, ...(fhirDefinition !== undefined ? { fhirDefinition } : {}), ...(identity ? { identity } : {}) };
  }
  // A mapping JSON body was parsed by the HTTP layer; its text is kept pretty-printed, and locations refer to that text.
  if (body && typeof body === 'object') return { format: 'vitalchain', definition: stringifyJson(body, true) };
  throw badRequest('$mappings needs a mapping in the body', undefined, 'required');
}

/**
 * GET [base]/$mappings lists the built-in and custom mappings (latest versions); `?id=x` returns
 * every version of a custom mapping with its definition. POST [base]/$mappings adds a mapping or
 * a new version of one (201), or changes nothing when the definition equals the latest (200);
 * definitions that do not compile are refused with their template line and column.
 */
export function mappingsOperation(store: MappingStore): OperationHandler {
  return {
    name: 'mappings',
    levels: ['system'],
    definition: 'urn:vitalchain:OperationDefinition/mappings',
    allowGet: true,
    documentation: 'Lists device mappings (GET, ?id= for the versions of one) and adds or replaces custom mappings (POST; each change is a new version).',
    async handle(_ctx: InteractionContext, request: FhirRequest): Promise<FhirResponse> {
      if (request.method === 'GET' || request.method === 'HEAD') {
        const id = queryValue(request.query, 'id');
        if (id === undefined) return { status: 200, body: { resource: { resourceType: 'Parameters', parameter: (await store.list()).map(listingPart) } } };
        const versions = await store.versions(id);
        if (versions.length === 0) throw notFound(`No custom mapping '${id.slice(0, 80)}'${(await store.resolve(id)) ? ' (built-in mappings have no stored versions)' : ''}`);
        return { status: 200, body: { resource: { resourceType: 'Parameters', parameter: versions.map(versionPart) } } };
      }
      const result = await store.put(sourceFrom(request), 'api');
      if (!result.ok) {
        // Text that is not JSON is 400; JSON that is no valid mapping (schema, expressions, reserved id) is 422.
        const status = result.issues.some((issue) => issue.code === 'structure') ? 400 : 422;
        return { status, body: { resource: operationOutcomeOf(result.issues.map((issue) => outcomeIssue(issue))) } };
      }
      const warnings = result.issues.filter((issue) => issue.severity !== 'error');
      const parameter: Json[] = [
        { name: 'id', valueString: result.stored.id },
        { name: 'version', valueInteger: result.stored.version },
        { name: 'created', valueBoolean: result.created },
      ];
      if (warnings.length > 0) parameter.push({ name: 'outcome', resource: operationOutcomeOf(warnings.map((issue) => outcomeIssue(issue))) });
      return { status: result.created ? 201 : 200, body: { resource: { resourceType: 'Parameters', parameter } } };
    },
  };
}
