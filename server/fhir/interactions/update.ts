import { newResourceId } from '../../store/new-resource-id.ts';
import type { InteractionContext } from '../context.ts';
import { badRequest, preconditionFailed } from '../outcome.ts';
import type { FhirRequest, FhirResponse } from '../request.ts';
import { parseETagVersion } from '../versioning-headers.ts';
import { criteriaOf, findMatches } from './conditional-match.ts';
import { resourceFromBody } from './resource-input.ts';
import { runPlan, type WritePlan } from './write-plan.ts';
import { writeResponse } from './write-response.ts';

/**
 * PUT [type]/[id] (update, or create at a client id) and PUT [type]?criteria (conditional
 * update: no match creates, one match updates it, several answer 412). If-Match guards against
 * lost updates; the repository serializes concurrent writers so versions strictly increase.
 */
export async function planUpdate(ctx: InteractionContext, request: FhirRequest, type: string, id: string | undefined): Promise<WritePlan> {
  let targetId = id;
  if (targetId === undefined) {
    const criteria = criteriaOf(request, `PUT ${type}`);
    const matches = await findMatches(ctx, type, criteria, 2);
    if (matches.length > 1) throw preconditionFailed(`Conditional update criteria match more than one ${type}`, 'multiple-matches');
    const bodyId = (request.body as { id?: unknown } | undefined)?.id;
    if (matches.length === 1) {
      targetId = matches[0].id;
      if (bodyId !== undefined && bodyId !== targetId) {
        throw badRequest(`The id in the body ('${String(bodyId)}') is not the id of the resource the criteria match ('${targetId}')`, [`${type}.id`]);
      }
    } else targetId = typeof bodyId === 'string' ? bodyId : newResourceId();
    if (request.body && typeof request.body === 'object' && !Array.isArray(request.body)) (request.body as Record<string, unknown>).id = targetId;
  }
  const resource = resourceFromBody(ctx, request, type, targetId);
  const ifMatch = parseETagVersion(request.headers.ifMatch);
  if (Number.isNaN(ifMatch)) throw badRequest(`If-Match must be a version ETag like W/"3"`, ['http.If-Match'], 'value');
  return {
    operations: [{ action: 'update', method: 'PUT', type, id: targetId, resource, ifMatch }],
    respond: ([result]) => writeResponse(ctx, request, result, result.created ? 201 : 200),
  };
}

export async function updateInteraction(ctx: InteractionContext, request: FhirRequest, type: string, id: string | undefined): Promise<FhirResponse> {
  return runPlan(ctx, await planUpdate(ctx, request, type, id));
}
