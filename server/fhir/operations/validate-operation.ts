import { isKnownProfile } from '../../../conformance/profiles.ts';
import { readCurrent } from '../../store/resource-reads.ts';
import { queryable, type InteractionContext } from '../context.ts';
import { parseJson } from '../json/index.ts';
import { badRequest, notFound, operationOutcome, type Issue } from '../outcome.ts';
import { queryValue, type FhirRequest, type FhirResponse } from '../request.ts';
import type { OperationHandler, OperationTarget } from './operation-registry.ts';

/**
 * $validate at type level (resource in the body, or a Parameters with `resource`) and instance
 * level (the stored resource, or a body to validate as an update of it), with an optional
 * `profile` the server knows. Always answers 200 with the OperationOutcome; validation failure is
 * the result, not an error of the operation.
 */
export const validateOperation: OperationHandler = {
  name: 'validate',
  levels: ['type', 'instance'],
  definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate',
  allowGet: true,
  documentation: 'Validates against the R4 StructureDefinitions and, with `profile`, a known profile (vital-signs family).',
  async handle(ctx: InteractionContext, request: FhirRequest, target: OperationTarget): Promise<FhirResponse> {
    let resource: unknown;
    let profile = queryValue(request.query, 'profile');
    const body = request.body as Record<string, any> | undefined;
    if (body?.resourceType === 'Parameters') {
      for (const parameter of body.parameter ?? []) {
        if (parameter.name === 'resource') resource = parameter.resource;
        if (parameter.name === 'profile') profile = parameter.valueUri ?? parameter.valueCanonical ?? parameter.valueString;
        if (parameter.name === 'mode' && parameter.valueCode === 'delete') resource = undefined;
      }
    } else if (body !== undefined) resource = body;
    if (resource === undefined && target.id !== undefined) {
      const current = await readCurrent(queryable(ctx), target.type!, target.id);
      if (!current || current.deleted) throw notFound(`${target.type}/${target.id} is not known`);
      resource = parseJson(current.json!);
    }
    if (resource === undefined) throw badRequest('$validate needs a resource in the body (or an instance URL)', undefined, 'required');
    if (profile !== undefined && !isKnownProfile(profile)) throw badRequest(`Profile '${profile}' is not known to this server`, ['profile'], 'not-supported');
    if ((resource as any)?.resourceType !== target.type) {
      throw badRequest(`The resource to validate is a ${(resource as any)?.resourceType ?? 'non-resource'}, not a ${target.type}`, [`${target.type}`], 'invalid');
    }
    const issues: Issue[] = ctx.services.validate(resource, profile ? { profiles: [profile] } : undefined).map(({ kind: _kind, ...issue }) => issue);
    if (!issues.some((issue) => issue.severity === 'error' || issue.severity === 'fatal')) {
      issues.unshift({ severity: 'information', code: 'informational', diagnostics: `Validation successful${profile ? ` against ${profile}` : ''}` });
    }
    return { status: 200, body: { resource: operationOutcome(issues) } };
  },
};
