import { newResourceId } from '../../store/new-resource-id.ts';
import type { InteractionContext } from '../context.ts';
import { preconditionFailed } from '../outcome.ts';
import type { FhirRequest, FhirResponse } from '../request.ts';
import { versionHeaders } from '../versioning-headers.ts';
import { findMatches } from './conditional-match.ts';
import { resourceFromBody } from './resource-input.ts';
import { runPlan, type WritePlan } from './write-plan.ts';
import { writeResponse } from './write-response.ts';

/**
 * POST [type]: the server assigns the id (any id in the body is ignored, as the spec says).
 * With If-None-Exist, an existing match is returned (200) instead of creating a duplicate;
 * several matches answer 412.
 */
export async function planCreate(ctx: InteractionContext, request: FhirRequest, type: string, id: string = newResourceId()): Promise<WritePlan> {
  const resource = resourceFromBody(ctx, request, type);
  const criteria = request.headers.ifNoneExist;
  if (criteria) {
    const matches = await findMatches(ctx, type, criteria, 2);
    if (matches.length > 1) throw preconditionFailed(`If-None-Exist '${criteria}' matches more than one ${type}`, 'multiple-matches');
    if (matches.length === 1) {
      const match = matches[0];
      const headers = versionHeaders(ctx.services.config.BASE_URL, type, match.id, match.version, match.lastUpdated);
      return { operations: [], respond: () => ({ status: 200, headers, body: { json: match.json! } }) };
    }
  }
  return {
    operations: [{ action: 'create', method: 'POST', type, id, resource }],
    respond: ([result]) => writeResponse(ctx, request, result, 201),
  };
}

export async function createInteraction(ctx: InteractionContext, request: FhirRequest, type: string): Promise<FhirResponse> {
  return runPlan(ctx, await planCreate(ctx, request, type));
}
