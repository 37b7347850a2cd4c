import { readCurrent } from '../../store/resource-reads.ts';
import { queryable, type InteractionContext } from '../context.ts';
import { parseJson, stringifyJson } from '../json/index.ts';
import { gone, notFound } from '../outcome.ts';
import { queryValue, type FhirRequest, type FhirResponse } from '../request.ts';
import { isSubsetting, parseSummary, selectElements } from '../elements-filter.ts';
import { parseETagVersion, versionHeaders } from '../versioning-headers.ts';

/** GET [type]/[id], with conditional read (If-None-Match, If-Modified-Since → 304) and _summary/_elements. */
export async function readInteraction(ctx: InteractionContext, request: FhirRequest, type: string, id: string): Promise<FhirResponse> {
  const current = await readCurrent(queryable(ctx), type, id);
  if (!current) throw notFound(`${type}/${id} is not known`);
  const { ETag, 'Last-Modified': lastModified } = versionHeaders(ctx.services.config.BASE_URL, type, id, current.version, current.lastUpdated);
  if (current.deleted) throw gone(`${type}/${id} was deleted (version ${current.version})`, { ETag, 'Last-Modified': lastModified });
  const headers = { ETag, 'Last-Modified': lastModified };
  if (notModified(request, current.version, current.lastUpdated)) return { status: 304, headers };
  return { status: 200, headers, body: { json: subset(ctx, request, current.json!) } };
}

export function notModified(request: FhirRequest, version: number, lastUpdated: string): boolean {
  const { ifNoneMatch, ifModifiedSince } = request.headers;
  if (ifNoneMatch !== undefined) {
    return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || parseETagVersion(tag) === version);
  }
  if (ifModifiedSince !== undefined) {
    const since = Date.parse(ifModifiedSince);
    // HTTP dates have second precision: compare at that precision.
    return !Number.isNaN(since) && Math.floor(Date.parse(lastUpdated) / 1000) <= Math.floor(since / 1000);
  }
  return false;
}

/** Applies _summary / _elements to stored JSON (parsing only when a subset is asked for). */
export function subset(ctx: InteractionContext, request: FhirRequest, json: string): string {
  const selection = { summary: parseSummary(queryValue(request.query, '_summary')), elements: queryValue(request.query, '_elements')?.split(',').map((e) => e.trim()).filter(Boolean) };
  if (!isSubsetting(selection)) return json;
  return stringifyJson(selectElements(parseJson(json) as Record<string, any>, selection, ctx.services.types));
}
