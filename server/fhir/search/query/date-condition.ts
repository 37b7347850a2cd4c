import { badRequest } from '../../outcome.ts';
import { parseDateRange } from '../values/date-range.ts';
import { rangeCondition, splitPrefix } from './prefix.ts';
import type { SqlParams } from './sql-params.ts';

/** A date search value against a [low, high) pair of timestamptz columns. */
export function dateCondition(params: SqlParams, value: string, low: string, high: string, paramName: string): string {
  const { prefix, rest } = splitPrefix(value);
  const range = parseDateRange(rest);
  if (!range) throw badRequest(`Invalid date '${value}' for search parameter '${paramName}'`, [paramName], 'value');
  const s = params.lazy(new Date(range.low).toISOString(), '::timestamptz');
  const e = params.lazy(new Date(range.high).toISOString(), '::timestamptz');
  let approx: { s: () => string; e: () => string } | undefined;
  if (prefix === 'ap') {
    // "approximately": widen by 10% of the distance between the value and now (spec's suggestion).
    const margin = Math.max(Math.abs(Date.now() - range.low) * 0.1, range.high - range.low);
    approx = {
      s: params.lazy(new Date(range.low - margin).toISOString(), '::timestamptz'),
      e: params.lazy(new Date(range.high + margin).toISOString(), '::timestamptz'),
    };
  }
  return rangeCondition(prefix, low, high, s, e, approx);
}
