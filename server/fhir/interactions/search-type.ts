import type { InteractionContext } from '../context.ts';
import { parsePrefer } from '../prefer.ts';
import { parseQueryString, type FhirRequest, type FhirResponse } from '../request.ts';
import { executeSearch } from '../search/execute-search.ts';
import { searchBundle } from '../search/search-bundle.ts';
import { parseSearchRequest } from '../search/search-request.ts';
import { badRequest } from '../outcome.ts';

/** The query of a search: URL parameters plus, for POST _search, the form-encoded body. */
export function searchQuery(request: FhirRequest): Array<[string, string]> {
  if (request.method !== 'POST') return request.query;
  const type = request.headers.contentType ?? '';
  if (request.bodyText && !type.includes('application/x-www-form-urlencoded')) {
    throw badRequest('POST _search takes an application/x-www-form-urlencoded body', undefined, 'not-supported');
  }
  return [...request.query, ...(request.bodyText ? parseQueryString(request.bodyText) : [])];
}

/** GET [type]?params and POST [type]/_search */
export async function searchTypeInteraction(ctx: InteractionContext, request: FhirRequest, type: string, narrow?: Array<[string, string]>): Promise<FhirResponse> {
  const { config } = ctx.services;
  const search = parseSearchRequest([type], searchQuery(request), { defaultCount: config.DEFAULT_PAGE_SIZE, maxCount: config.MAX_PAGE_SIZE });
  const handling = parsePrefer(request.headers.prefer).handling ?? 'strict';
  const result = await executeSearch(ctx, search, { handling, constraints: narrow });
  return { status: 200, body: { json: searchBundle(ctx, type, search, result) } };
}
