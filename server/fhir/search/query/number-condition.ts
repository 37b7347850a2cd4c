import { badRequest } from '../../outcome.ts';
import { decimalRange } from '../values/decimal-range.ts';
import { splitPrefix, type Prefix } from './prefix.ts';
import type { SqlParams } from './sql-params.ts';

/**
 * A number against a numeric column. Equality honours the precision of the search value
 * ("100" matches [99.5, 100.5)); ordered comparisons use the value itself; "ap" allows 10%.
 */
export function numberCondition(params: SqlParams, value: string, column: string, paramName: string): string {
  const { prefix, rest } = splitPrefix(value);
  const range = decimalRange(rest);
  if (!range) throw badRequest(`Invalid number '${value}' for search parameter '${paramName}'`, [paramName], 'value');
  return numericComparison(params, prefix, range, column);
}

export function numericComparison(params: SqlParams, prefix: Prefix, range: { value: string; low: string; high: string }, column: string): string {
  const v = params.lazy(range.value, '::numeric');
  switch (prefix) {
    case 'eq':
      return `(${column} >= ${params.add(range.low)}::numeric AND ${column} < ${params.add(range.high)}::numeric)`;
    case 'ne':
      return `NOT (${column} >= ${params.add(range.low)}::numeric AND ${column} < ${params.add(range.high)}::numeric)`;
    case 'gt':
    case 'sa':
      return `${column} > ${v()}`;
    case 'lt':
    case 'eb':
      return `${column} < ${v()}`;
    case 'ge':
      return `${column} >= ${v()}`;
    case 'le':
      return `${column} <= ${v()}`;
    case 'ap': {
      const center = Number(range.value);
      const margin = Math.abs(center) * 0.1;
      return `(${column} >= ${params.add(String(center - margin))}::numeric AND ${column} <= ${params.add(String(center + margin))}::numeric)`;
    }
  }
}
