import type { InteractionContext } from '../context.ts';
import { executeSearch } from '../search/execute-search.ts';
import { parseSearchRequest } from '../search/search-request.ts';
import type { StoredVersion } from '../../store/resource-reads.ts';
import { badRequest } from '../outcome.ts';
import { parseQueryString, type FhirRequest } from '../request.ts';

/**
 * Resources matching the search criteria of a conditional interaction (If-None-Exist,
 * PUT/DELETE/PATCH Type?criteria, conditional references). Criteria are applied strictly: an
 * unknown parameter must never widen a conditional write to "everything".
 */
export async function findMatches(ctx: InteractionContext, type: string, criteria: string, limit: number): Promise<StoredVersion[]> {
  const query = parseQueryString(criteria.replace(/^\?/, ''));
  if (query.length === 0) throw badRequest(`Conditional ${type} criteria are empty`, undefined, 'required');
  const request = parseSearchRequest([type], query, { defaultCount: limit, maxCount: limit });
  request.count = limit;
  const result = await executeSearch(ctx, request, { handling: 'strict', unordered: true });
  return result.matches;
}

/** The search criteria of a conditional PUT/DELETE/PATCH on the type URL. */
export function criteriaOf(request: FhirRequest, what: string): string {
  const criteria = request.query.filter(([name]) => !['_format', '_pretty'].includes(name));
  if (criteria.length === 0) throw badRequest(`${what} needs an id in the URL or search criteria`, undefined, 'required');
  return new URLSearchParams(criteria).toString();
}
