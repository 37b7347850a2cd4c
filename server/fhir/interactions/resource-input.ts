import type { InteractionContext } from '../context.ts';
import { badRequest, FhirError, type Issue } from '../outcome.ts';
import type { FhirRequest } from '../request.ts';

/**
 * The resource in a create/update body: present, of the type in the URL, with a matching id on
 * update, and valid against the R4 StructureDefinitions. Structure problems answer 400; rule
 * problems (invariants, bindings, profiles) answer 422, as the spec suggests.
 */
export function resourceFromBody(ctx: InteractionContext, request: FhirRequest, type: string, id?: string): Record<string, any> {
  const body = request.body;
  const at = (path: string) => [request.location ? `${request.location}.resource${path ? '.' + path : ''}` : `${type}${path ? '.' + path : ''}`];
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest(`The request body must be a ${type} resource (JSON object)`, request.location ? [`${request.location}.resource`] : undefined, 'structure');
  }
  const resource = body as Record<string, any>;
  if (resource.resourceType !== type) {
    throw badRequest(
      `The resource type in the body ('${String(resource.resourceType ?? 'missing')}') does not match the URL ('${type}')`,
      at('resourceType'),
      'invalid',
    );
  }
  if (id !== undefined) {
    if (resource.id === undefined) throw badRequest(`An update must carry the resource id '${id}' in the body`, at('id'), 'required');
    if (resource.id !== id) throw badRequest(`The id in the body ('${String(resource.id)}') does not match the URL ('${id}')`, at('id'), 'invalid');
  }
  validateOrThrow(ctx, resource, request.location);
  return resource;
}

export function validateOrThrow(ctx: InteractionContext, resource: Record<string, any>, location?: string): void {
  const issues = ctx.services.validate(resource);
  const errors = issues.filter((issue) => issue.severity === 'error' || issue.severity === 'fatal');
  if (errors.length === 0) return;
  const structural = errors.some((issue) => issue.kind === 'structure');
  const relocated: Issue[] = issues.map(({ kind: _kind, ...issue }) => ({
    ...issue,
    expression: location && issue.expression ? issue.expression.map((e) => `${location}.resource.${e.replace(/^[A-Z][A-Za-z]+\.?/, '')}`.replace(/\.$/, '')) : issue.expression,
  }));
  throw new FhirError(structural ? 400 : 422, relocated);
}
