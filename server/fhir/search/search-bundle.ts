import type { InteractionContext } from '../context.ts';
import { bundleJson, queryString, type BundleEntryText, type BundleLink } from '../bundle-json.ts';
import { isSubsetting, selectElements } from '../elements-filter.ts';
import { parseJson, stringifyJson } from '../json/index.ts';
import { operationOutcome } from '../outcome.ts';
import type { SearchResult } from './execute-search.ts';
import type { SearchRequest } from './search-request.ts';

/**
 * A searchset Bundle. Links carry only the parameters that were applied (ignored ones are
 * reported in an outcome entry instead), so following a link reproduces exactly this search.
 */
export function searchBundle(ctx: InteractionContext, path: string, request: SearchRequest, result: SearchResult): string {
  const { config, types } = ctx.services;
  const base = `${config.BASE_URL}/${path}`;
  const shared: Array<[string, string]> = [...result.applied];
  if (request.sort.length) shared.push(['_sort', request.sort.map((s) => (s.descending ? '-' : '') + s.code).join(',')]);
  for (const spec of [...request.includes, ...request.revincludes]) shared.push(spec.raw);
  if (request.summary) shared.push(['_summary', request.summary]);
  if (request.elements?.length) shared.push(['_elements', request.elements.join(',')]);
  if (request.total !== 'none') shared.push(['_total', request.total]);
  shared.push(['_count', String(request.count)]);
  const link = (extra: Array<[string, string]>) => `${base}?${queryString([...shared, ...extra])}`;
  const paging: Array<[string, string]> = request.sort.length
    ? request.offset ? [['_offset', String(request.offset)]] : []
    : request.cursor !== undefined ? [['_cursor', String(request.cursor)]] : [];
  const links: BundleLink[] = [{ relation: 'self', url: link(paging) }];
  if (request.sort.length) {
    if (request.offset > 0) links.push({ relation: 'previous', url: link([['_offset', String(Math.max(0, request.offset - request.count))]]) });
    if (result.hasNext) links.push({ relation: 'next', url: link([['_offset', String(request.offset + request.count)]]) });
  } else {
    if (request.cursor !== undefined) links.push({ relation: 'first', url: link([]) });
    if (result.nextCursor !== undefined) links.push({ relation: 'next', url: link([['_cursor', String(result.nextCursor)]]) });
  }
  const selection = { summary: request.summary, elements: request.elements };
  const render = (json: string) => (isSubsetting(selection) ? stringifyJson(selectElements(parseJson(json) as Record<string, any>, selection, types)) : json);
  const entries: BundleEntryText[] = [
    ...result.matches.map((m) => ({ fullUrl: `${config.BASE_URL}/${m.type}/${m.id}`, resource: render(m.json!), extra: { search: { mode: 'match' } } })),
    ...result.included.map((m) => ({ fullUrl: `${config.BASE_URL}/${m.type}/${m.id}`, resource: render(m.json!), extra: { search: { mode: 'include' } } })),
  ];
  if (result.issues.length > 0) {
    entries.push({ resource: JSON.stringify(operationOutcome(result.issues)), extra: { search: { mode: 'outcome' } } });
  }
  return bundleJson('searchset', entries, { total: result.total, links });
}
