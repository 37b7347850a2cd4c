import type { InteractionContext } from '../context.ts';
import { badRequest } from '../outcome.ts';
import { parsePrefer } from '../prefer.ts';
import { queryValue, type FhirRequest, type FhirResponse } from '../request.ts';
import { executeSearch } from '../search/execute-search.ts';
import { searchBundle } from '../search/search-bundle.ts';
import { parseSearchRequest } from '../search/search-request.ts';
import { searchQuery } from './search-type.ts';

/** GET [base]?_type=A,B&params: parameters must be defined on every listed type. */
export async function searchSystemInteraction(ctx: InteractionContext, request: FhirRequest, narrow?: Array<[string, string]>): Promise<FhirResponse> {
  const { config, types } = ctx.services;
  const query = searchQuery(request);
  const typeParam = queryValue(query, '_type');
  const resourceTypes = typeParam ? typeParam.split(',').map((t) => t.trim()).filter(Boolean) : types.resourceTypes;
  for (const type of resourceTypes) if (!types.isResourceType(type)) throw badRequest(`Unknown resource type '${type}' in _type`, ['_type'], 'value');
  const search = parseSearchRequest(resourceTypes, query, { defaultCount: config.DEFAULT_PAGE_SIZE, maxCount: config.MAX_PAGE_SIZE });
  const handling = parsePrefer(request.headers.prefer).handling ?? 'strict';
  const result = await executeSearch(ctx, search, { handling, constraints: narrow });
  if (typeParam) result.applied.unshift(['_type', typeParam]);
  return { status: 200, body: { json: searchBundle(ctx, '', search, result) } };
}
