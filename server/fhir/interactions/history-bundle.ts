import { countHistory, readHistory, type HistoryQuery } from '../../store/history-reads.ts';
import { pagingCursor } from '../paging-cursor.ts';
import { queryable, type InteractionContext } from '../context.ts';
import { bundleJson, queryString, type BundleLink } from '../bundle-json.ts';
import { badRequest } from '../outcome.ts';
import type { FhirRequest, FhirResponse } from '../request.ts';
import { parseDateRange } from '../search/values/date-range.ts';

const STATUS_BY_METHOD: Record<string, string> = { POST: '201 Created', PUT: '200 OK', PATCH: '200 OK', DELETE: '204 No Content' };

/**
 * A history Bundle, newest first, paged by a stable keyset cursor (entries added while a client
 * pages never shift its pages). Supports _count, _since, _at and _total=accurate.
 */
export async function historyResponse(ctx: InteractionContext, request: FhirRequest, target: { type?: string; id?: string }): Promise<FhirResponse> {
  const { config } = ctx.services;
  const query: HistoryQuery = { ...target, count: config.DEFAULT_PAGE_SIZE };
  const applied: Array<[string, string]> = [];
  let wantTotal = false;
  for (const [name, value] of request.query) {
    switch (name) {
      case '_count': {
        const count = Number(value);
        if (!Number.isInteger(count) || count < 0) throw badRequest(`_count must be a non-negative integer`, ['_count'], 'value');
        query.count = Math.min(count, config.MAX_PAGE_SIZE);
        applied.push([name, String(query.count)]);
        break;
      }
      case '_since': {
        const range = parseDateRange(value);
        if (!range || !/T/.test(value)) throw badRequest(`_since must be an instant like 2024-01-01T00:00:00Z, not '${value}'`, ['_since'], 'value');
        query.since = new Date(range.low).toISOString();
        applied.push([name, value]);
        break;
      }
      case '_at': {
        const range = parseDateRange(value.replace(/^eq/, ''));
        if (!range) throw badRequest(`_at must be a date or dateTime, not '${value}'`, ['_at'], 'value');
        query.atLow = new Date(range.low).toISOString();
        query.atHigh = new Date(range.high).toISOString();
        applied.push([name, value]);
        break;
      }
      case '_cursor':
        query.before = pagingCursor(value);
        break;
      case '_total':
        if (value === 'accurate') wantTotal = true;
        break;
      case '_format':
      case '_pretty':
      case '_list':
        break;
      default:
        throw badRequest(`Unknown history parameter '${name}'`, [name], 'not-supported');
    }
  }
  const db = queryable(ctx);
  const entries = await readHistory(db, { ...query, count: query.count + 1 });
  const page = entries.slice(0, query.count);
  const base = `${config.BASE_URL}/${[target.type, target.id].filter(Boolean).join('/')}${target.type || target.id ? '/' : ''}_history`;
  const links: BundleLink[] = [{ relation: 'self', url: `${base}${linkQuery(applied, query.before)}` }];
  if (entries.length > query.count) links.push({ relation: 'next', url: `${base}${linkQuery(applied, page[page.length - 1].position)}` });
  const total = wantTotal ? await countHistory(db, query) : undefined;
  const json = bundleJson(
    'history',
    page.map((entry) => ({
      fullUrl: `${config.BASE_URL}/${entry.type}/${entry.id}`,
      resource: entry.json ?? undefined,
      extra: {
        request: { method: entry.method, url: entry.method === 'POST' ? entry.type : `${entry.type}/${entry.id}` },
        response: { status: STATUS_BY_METHOD[entry.method] ?? '200 OK', etag: `W/"${entry.version}"`, lastModified: entry.lastUpdated },
      },
    })),
    { total, links },
  );
  return { status: 200, body: { json } };
}

function linkQuery(applied: Array<[string, string]>, cursor: number | undefined): string {
  const pairs: Array<[string, string]> = [...applied];
  if (cursor !== undefined) pairs.push(['_cursor', String(cursor)]);
  return pairs.length ? `?${queryString(pairs)}` : '';
}
