import { badRequest } from '../../outcome.ts';
import type { SearchParamDefinition } from '../definitions/search-parameters.ts';
import type { QuantityCanonicalizer } from '../index/extract-index.ts';
import { dateCondition } from './date-condition.ts';
import { numberCondition } from './number-condition.ts';
import { quantityCondition } from './quantity-condition.ts';
import type { SqlParams } from './sql-params.ts';
import { splitEscaped, unescapeValue } from './split-values.ts';
import { stringCondition } from './string-condition.ts';
import { tokenCondition } from './token-condition.ts';

/**
 * One composite value "a$b[$c]" against an idx_composite row `i`: every component must match
 * the same row, i.e. values taken from the same element (code and value of one component).
 */
export function compositeCondition(params: SqlParams, param: SearchParamDefinition, value: string, name: string, canonicalize?: QuantityCanonicalizer): string {
  const parts = splitEscaped(value, '$');
  const types = param.componentTypes!;
  if (parts.length !== types.length) {
    throw badRequest(`Composite parameter '${name}' takes ${types.length} values separated by '$', got ${parts.length}`, [name], 'value');
  }
  return `(${parts.map((part, index) => componentCondition(params, types[index], index, part, name, canonicalize)).join(' AND ')})`;
}

function componentCondition(params: SqlParams, type: string, index: number, value: string, name: string, canonicalize?: QuantityCanonicalizer): string {
  if (index === 0) {
    if (type === 'reference') {
      const [targetType, id] = unescapeValue(value).includes('/') ? unescapeValue(value).split('/') : [undefined, unescapeValue(value)];
      return targetType ? `(i.k_system = ${params.add(targetType)} AND i.k_code = ${params.add(id)})` : `i.k_code = ${params.add(id)}`;
    }
    return tokenCondition(params, value, undefined, { system: 'i.k_system', code: 'i.k_code' });
  }
  switch (type) {
    case 'token':
      return tokenCondition(params, value, undefined, { system: 'i.t_system', code: 'i.t_code' });
    case 'quantity':
      return quantityCondition(params, value, name, canonicalize, {
        value: 'i.q_value', system: 'i.q_system', code: 'i.q_code', unit: 'i.q_unit', canonicalCode: 'i.q_canonical_code', canonicalValue: 'i.q_canonical_value',
      });
    case 'number':
      return numberCondition(params, value, index === 1 ? 'i.n1' : 'i.n2', name);
    case 'string':
      return stringCondition(params, value, undefined, 'i.s_value');
    case 'date':
      return dateCondition(params, value, 'i.d_low', 'i.d_high', name);
    default:
      throw badRequest(`Composite component type '${type}' is not supported`, [name], 'not-supported');
  }
}
