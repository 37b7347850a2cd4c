import type { InteractionContext } from '../context.ts';
import { badRequest, preconditionFailed } from '../outcome.ts';
import type { FhirRequest, FhirResponse } from '../request.ts';
import { parseETagVersion } from '../versioning-headers.ts';
import { criteriaOf, findMatches } from './conditional-match.ts';
import { runPlan, type WritePlan } from './write-plan.ts';

/**
 * DELETE [type]/[id] and conditional DELETE [type]?criteria. Deleting what does not exist (or
 * is already deleted) succeeds with 204, as the spec allows. A conditional delete matching
 * several resources deletes them all only when CONDITIONAL_DELETE=multiple (bounded by
 * CONDITIONAL_DELETE_MAX); otherwise it answers 412.
 */
export async function planDelete(ctx: InteractionContext, request: FhirRequest, type: string, id: string | undefined): Promise<WritePlan> {
  const { config } = ctx.services;
  let ids: string[];
  if (id !== undefined) ids = [id];
  else {
    const max = config.CONDITIONAL_DELETE === 'multiple' ? config.CONDITIONAL_DELETE_MAX : 1;
    const matches = await findMatches(ctx, type, criteriaOf(request, `DELETE ${type}`), max + 1);
    if (matches.length > max) {
      throw preconditionFailed(
        config.CONDITIONAL_DELETE === 'multiple'
          ? `Conditional delete matches more than ${max} ${type} resources`
          : `Conditional delete matches more than one ${type}; this server deletes one at a time (CONDITIONAL_DELETE=single)`,
        'multiple-matches',
      );
    }
    ids = matches.map((match) => match.id);
  }
  const ifMatch = parseETagVersion(request.headers.ifMatch);
  if (Number.isNaN(ifMatch)) throw badRequest(`If-Match must be a version ETag like W/"3"`, ['http.If-Match'], 'value');
  return {
    operations: ids.map((target) => ({ action: 'delete' as const, method: 'DELETE' as const, type, id: target, ifMatch })),
    respond: (results) => {
      const deleted = results.filter((r) => r.action === 'delete');
      const headers: Record<string, string> = deleted.length === 1 ? { ETag: `W/"${deleted[0].version}"` } : {};
      return { status: 204, headers };
    },
  };
}

export async function deleteInteraction(ctx: InteractionContext, request: FhirRequest, type: string, id: string | undefined): Promise<FhirResponse> {
  return runPlan(ctx, await planDelete(ctx, request, type, id));
}
