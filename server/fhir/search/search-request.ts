import { badRequest } from '../outcome.ts';
import { pagingCursor } from '../paging-cursor.ts';

/** Parameters that shape the result rather than filter it. */
export const RESULT_PARAMETERS = new Set([
  '_sort', '_count', '_include', '_revinclude', '_summary', '_elements', '_total', '_contained', '_containedType',
  '_cursor', '_offset', '_format', '_pretty', '_type',
]);

export interface IncludeSpec {
  sourceType: string;
  param: string;
  targetType?: string;
  iterate: boolean;
  /** The query text this came from, for the self link. */
  raw: [string, string];
}

export interface SearchRequest {
  types: string[];
  /** Filter parameters in request order (before validation). */
  filters: Array<[string, string]>;
  sort: Array<{ code: string; descending: boolean }>;
  count: number;
  offset: number;
  cursor?: number;
  includes: IncludeSpec[];
  revincludes: IncludeSpec[];
  summary?: 'true' | 'false' | 'text' | 'data' | 'count';
  elements?: string[];
  total: 'none' | 'estimate' | 'accurate';
}

export interface PagingLimits {
  defaultCount: number;
  maxCount: number;
}

export function parseSearchRequest(types: string[], query: Array<[string, string]>, limits: PagingLimits): SearchRequest {
  const request: SearchRequest = {
    types,
    filters: [],
    sort: [],
    count: limits.defaultCount,
    offset: 0,
    includes: [],
    revincludes: [],
    total: 'none',
  };
  for (const [name, value] of query) {
    const base = name.split(':')[0];
    if (!RESULT_PARAMETERS.has(base)) {
      request.filters.push([name, value]);
      continue;
    }
    switch (base) {
      case '_count': {
        const count = Number(value);
        if (!Number.isInteger(count) || count < 0) throw badRequest(`_count must be a non-negative integer, not '${value}'`, ['_count'], 'value');
        request.count = Math.min(count, limits.maxCount);
        break;
      }
      case '_offset': {
        const offset = Number(value);
        if (!Number.isInteger(offset) || offset < 0) throw badRequest(`_offset must be a non-negative integer`, ['_offset'], 'value');
        request.offset = offset;
        break;
      }
      case '_cursor':
        request.cursor = pagingCursor(value);
        break;
      case '_sort':
        for (const key of value.split(',').map((k) => k.trim()).filter(Boolean)) {
          request.sort.push(key.startsWith('-') ? { code: key.slice(1), descending: true } : { code: key, descending: false });
        }
        break;
      case '_include':
      case '_revinclude': {
        const iterate = name.endsWith(':iterate') || name.endsWith(':recurse');
        const [sourceType, param, targetType] = value === '*' ? ['*', '*'] : value.split(':');
        if (!sourceType || !param) throw badRequest(`${base} must look like Type:parameter[:targetType], not '${value}'`, [base], 'value');
        (base === '_include' ? request.includes : request.revincludes).push({ sourceType, param, targetType, iterate, raw: [name, value] });
        break;
      }
      case '_summary':
        if (!['true', 'false', 'text', 'data', 'count'].includes(value)) throw badRequest(`_summary must be true, false, text, data or count`, ['_summary'], 'value');
        request.summary = value as SearchRequest['summary'];
        break;
      case '_elements':
        request.elements = value.split(',').map((e) => e.trim()).filter(Boolean);
        break;
      case '_total':
        if (!['none', 'estimate', 'accurate'].includes(value)) throw badRequest(`_total must be none, estimate or accurate`, ['_total'], 'value');
        request.total = value as SearchRequest['total'];
        break;
      case '_contained':
      case '_containedType':
        if (value !== 'false' && base === '_contained') throw badRequest(`Searching contained resources (_contained=${value}) is not supported`, ['_contained'], 'not-supported');
        break;
      default:
        break; // _format, _pretty, _type: handled by the transport or the caller
    }
  }
  return request;
}
