import { readVersion } from '../../store/resource-reads.ts';
import { queryable, type InteractionContext } from '../context.ts';
import { gone, notFound } from '../outcome.ts';
import type { FhirRequest, FhirResponse } from '../request.ts';
import { versionHeaders } from '../versioning-headers.ts';
import { subset } from './read.ts';

/** GET [type]/[id]/_history/[vid]: a version that records a deletion answers 410. */
export async function vreadInteraction(ctx: InteractionContext, request: FhirRequest, type: string, id: string, vid: string): Promise<FhirResponse> {
  const version = Number(vid);
  const found = Number.isInteger(version) ? await readVersion(queryable(ctx), type, id, version) : undefined;
  if (!found) throw notFound(`${type}/${id} has no version '${vid}'`);
  const { ETag, 'Last-Modified': lastModified } = versionHeaders(ctx.services.config.BASE_URL, type, id, found.version, found.lastUpdated);
  if (found.deleted) throw gone(`Version ${vid} of ${type}/${id} records its deletion`, { ETag, 'Last-Modified': lastModified });
  return { status: 200, headers: { ETag, 'Last-Modified': lastModified }, body: { json: subset(ctx, request, found.json!) } };
}
