import { PayloadError, type MappingIssue } from '../../mappings/issue.ts';
import type { Mapping } from '../../mappings/mapping.ts';
import type { PayloadContext, PayloadInput } from '../../mappings/payload.ts';
import { splitBodySync } from '../../mappings/split/split-body.ts';
import type { InteractionContext } from '../fhir/context.ts';
import { stringifyJson } from '../fhir/json/index.ts';
import type { OperationHandler } from '../fhir/operations/operation-registry.ts';
import { badRequest } from '../fhir/outcome.ts';
import { queryValue, type FhirRequest, type FhirResponse } from '../fhir/request.ts';
import type { Ingestor } from './ingestor.ts';
import { operationOutcomeOf, outcomeIssue, type OutcomeIssue } from './issue-outcome.ts';
import { mapRequest } from './map-request.ts';
import { compileMappingSource } from './mapping-source.ts';
import { bodyOf, contextFromQuery, payloadsOf } from './request-payloads.ts';
import { stringPart, stringParts } from './parameters.ts';

type Json = Record<string, any>;

interface Prepared {
  mapping?: Mapping;
  issues: MappingIssue[];
  payloads: Iterable<PayloadInput>;
  /** FHIRPath of the Parameters part a payload index came from. */
  partOf?: (index: number) => string | undefined;
  fatal?: OutcomeIssue;
}

/** Payload parts (valueString, each a body of its own) as one numbered payload sequence; unreadable parts become issues. */
function* partPayloads(parts: Array<{ text: string; position: number }>, contentType: string | undefined, context: PayloadContext, issues: MappingIssue[], partIndex: Map<number, number>): Generator<PayloadInput> {
  let next = 0;
  for (const part of parts) {
    try {
      for (const payload of splitBodySync(part.text, contentType, context)) {
        partIndex.set(next, part.position);
        yield { ...payload, index: next++ };
      }
    } catch (error) {
      if (!(error instanceof PayloadError)) throw error;
      partIndex.set(next, part.position);
      issues.push({ severity: 'error', code: error.code, diagnostics: error.message, location: { source: 'payload', payloadIndex: next++, ...(error.path ? { path: error.path } : {}), ...(error.line !== undefined ? { line: error.line, column: error.column } : {}) } });
    }
  }
}

async function prepare(ingestor: Ingestor, request: FhirRequest, context: PayloadContext): Promise<Prepared> {
  const parameters = request.body as Json | undefined;
  if (parameters?.resourceType !== 'Parameters') {
    const body = bodyOf(request);
    if (!body) throw badRequest('$map needs device payloads in the body, or a Parameters resource with payload parts', undefined, 'required');
    const resolved = await ingestor.resolveMapping(queryValue(request.query, 'mapping'), body);
    if (!('mapping' in resolved)) return { issues: [], payloads: [], fatal: resolved };
    return { mapping: resolved.mapping, issues: [], payloads: payloadsOf(body, context) };
  }
  const parts: Json[] = Array.isArray(parameters.parameter) ? parameters.parameter : [];
  const payloadParts = stringParts(parts, 'payload');
  if (payloadParts.length === 0) throw badRequest('Parameters needs at least one payload part (valueString)', ['Parameters.parameter'], 'required');
  for (const [name, key] of [['device', 'device'], ['patient', 'patient'], ['timeZone', 'timeZone']] as const) {
    const value = stringPart(parts, name);
    if (value !== undefined) Object.assign(context, contextFromQuery([[key, value]], context.receivedAt));
  }
  const issues: MappingIssue[] = [];
  const partIndex = new Map<number, number>();
  const payloads = partPayloads(payloadParts, stringPart(parts, 'contentType'), context, issues, partIndex);
  const partOf = (index: number) => (partIndex.has(index) ? `Parameters.parameter[${partIndex.get(index)}].valueString` : undefined);
  const definition = stringPart(parts, 'mapping');
  const deviceMapping = stringPart(parts, 'deviceMapping');
  let mapping: Mapping | undefined;
  if (definition !== undefined || deviceMapping !== undefined) {
    const identity = stringPart(parts, 'identity');
    const compiled = definition !== undefined
      ? compileMappingSource({ format: 'vitalchain', definition })
      : compileMappingSource({ format: 'medtech', id: stringPart(parts, 'id') ?? 'dry-run', definition: deviceMapping!, ...(stringPart(parts, 'fhirMapping') !== undefined ? { fhirDefinition: stringPart(parts, 'fhirMapping') } : {}), ...(identity === 'create' || identity === 'lookup' ? { identity } : {}) });
    issues.unshift(...compiled.issues);
    mapping = compiled.mapping;
  } else {
    const firstPayload = payloadParts[0]!.text;
    const resolved = await ingestor.resolveMapping(stringPart(parts, 'mappingId') ?? queryValue(request.query, 'mapping'), { kind: 'text', text: firstPayload, contentType: stringPart(parts, 'contentType') });
    if (!('mapping' in resolved)) return { issues, payloads, partOf, fatal: resolved };
    mapping = resolved.mapping;
    issues.unshift(...(mapping.templateIssues ?? []));
  }
  return { mapping, issues, payloads, partOf };
}

/**
 * POST [base]/$map: the dry run for device makers. Same inputs as $ingest, or a Parameters
 * resource with `mapping` (our format) or `deviceMapping` + `fhirMapping` (MedTech templates) as
 * valueString and `payload` parts. Returns Parameters with one `observation` part per Observation
 * it would create, one `outcome` (template errors with line/column, payload errors with their
 * location, ranges, UCUM, required fields, vital-signs profiles, server validation) and the
 * normalized `measurement`s. Writes nothing.
 */
export function mapOperation(ingestor: Ingestor): OperationHandler {
  return {
    name: 'map',
    levels: ['system'],
    definition: 'urn:vitalchain:OperationDefinition/map',
    allowGet: false,
    documentation: 'Dry run of a device mapping: the Observations, normalized measurements and every issue (with template line/column and payload locations), nothing written.',
    async handle(ctx: InteractionContext, request: FhirRequest): Promise<FhirResponse> {
      const context = contextFromQuery(request.query);
      const prepared = await prepare(ingestor, request, context);
      const outcome: OutcomeIssue[] = [];
      const parameter: Json[] = [];
      if (prepared.fatal) outcome.push(prepared.fatal);
      const measurements: string[] = [];
      if (prepared.mapping) {
        const mapped = mapRequest(prepared.mapping, prepared.payloads, { keepMeasurements: true });
        prepared.issues.push(...mapped.issues);
        for (const { resource, payloadIndex } of mapped.observations) {
          parameter.push({ name: 'observation', resource });
          for (const issue of ctx.services.validate(resource)) {
            if (issue.severity === 'information') continue;
            prepared.issues.push({ severity: issue.severity, code: issue.kind === 'structure' ? 'structure' : 'business-rule', diagnostics: `Observation fails validation: ${issue.diagnostics}`, location: { source: 'observation', ...(payloadIndex >= 0 ? { payloadIndex } : {}), ...(issue.expression?.[0] ? { expression: issue.expression[0] } : {}) } });
          }
        }
        for (const measurement of mapped.measurements) measurements.push(stringifyJson(measurement));
      }
      outcome.push(...prepared.issues.map((issue) => outcomeIssue(issue, prepared.partOf)));
      if (!outcome.some((issue) => issue.severity === 'error' || issue.severity === 'fatal')) {
        outcome.unshift({ severity: 'information', code: 'informational', diagnostics: `${parameter.length} Observation(s) from ${measurements.length} measurement(s); nothing was written` });
      }
      parameter.push({ name: 'outcome', resource: operationOutcomeOf(outcome) });
      for (const text of measurements) parameter.push({ name: 'measurement', valueString: text });
      return { status: 200, body: { resource: { resourceType: 'Parameters', parameter } } };
    },
  };
}
