import { readCurrent } from '../../store/resource-reads.ts';
import { queryable, type InteractionContext } from '../context.ts';
import { parseJson } from '../json/index.ts';
import { badRequest, gone, notFound, preconditionFailed, FhirError } from '../outcome.ts';
import { applyFhirPathPatch } from '../patch/fhirpath-patch.ts';
import { applyJsonPatch } from '../patch/json-patch.ts';
import type { FhirRequest, FhirResponse } from '../request.ts';
import { parseETagVersion } from '../versioning-headers.ts';
import { criteriaOf, findMatches } from './conditional-match.ts';
import { validateOrThrow } from './resource-input.ts';
import { runPlan, type WritePlan } from './write-plan.ts';
import { writeResponse } from './write-response.ts';

/**
 * PATCH [type]/[id] or [type]?criteria with JSON Patch (application/json-patch+json, or a
 * Binary of that type inside bundles) or FHIRPath Patch (a Parameters resource). The patched
 * resource is validated and stored like an update, guarded by the version that was patched.
 */
export async function planPatch(ctx: InteractionContext, request: FhirRequest, type: string, id: string | undefined): Promise<WritePlan> {
  let targetId = id;
  if (targetId === undefined) {
    const matches = await findMatches(ctx, type, criteriaOf(request, `PATCH ${type}`), 2);
    if (matches.length === 0) throw notFound(`No ${type} matches the conditional patch criteria`);
    if (matches.length > 1) throw preconditionFailed(`Conditional patch criteria match more than one ${type}`, 'multiple-matches');
    targetId = matches[0].id;
  }
  const current = await readCurrent(queryable(ctx), type, targetId);
  if (!current) throw notFound(`${type}/${targetId} is not known`);
  if (current.deleted) throw gone(`${type}/${targetId} was deleted`);
  const ifMatch = parseETagVersion(request.headers.ifMatch);
  if (Number.isNaN(ifMatch)) throw badRequest(`If-Match must be a version ETag like W/"3"`, ['http.If-Match'], 'value');
  if (ifMatch !== undefined && ifMatch !== current.version) {
    throw preconditionFailed(`${type}/${targetId}: If-Match expects version ${ifMatch}, current is ${current.version}`);
  }
  const original = parseJson(current.json!) as Record<string, any>;
  const patched = applyPatchBody(original, request);
  if (patched?.resourceType !== type || patched.id !== targetId) {
    throw new FhirError(422, { severity: 'error', code: 'processing', diagnostics: 'A patch may not change the resource type or id', expression: [`${type}.id`] });
  }
  validateOrThrow(ctx, patched, request.location);
  return {
    operations: [{ action: 'update', method: 'PATCH', type, id: targetId, resource: patched, ifMatch: current.version }],
    respond: ([result]) => writeResponse(ctx, request, result, 200),
  };
}

function applyPatchBody(original: Record<string, any>, request: FhirRequest): Record<string, any> {
  const body = request.body as any;
  if (Array.isArray(body)) return applyJsonPatch(original, body);
  if (body?.resourceType === 'Parameters') return applyFhirPathPatch(original, body);
  if (body?.resourceType === 'Binary' && /json-patch/.test(body.contentType ?? '')) {
    let operations: unknown;
    try {
      operations = JSON.parse(Buffer.from(String(body.data ?? ''), 'base64').toString('utf8'));
    } catch {
      throw badRequest('The Binary in this PATCH entry does not hold a JSON Patch document', request.location ? [`${request.location}.resource.data`] : undefined);
    }
    return applyJsonPatch(original, operations);
  }
  throw new FhirError(415, { severity: 'error', code: 'not-supported', diagnostics: 'PATCH takes a JSON Patch (application/json-patch+json) or a FHIRPath Patch Parameters resource' });
}

export async function patchInteraction(ctx: InteractionContext, request: FhirRequest, type: string, id: string | undefined): Promise<FhirResponse> {
  return runPlan(ctx, await planPatch(ctx, request, type, id));
}
