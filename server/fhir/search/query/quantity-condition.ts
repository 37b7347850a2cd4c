import { badRequest } from '../../outcome.ts';
import type { QuantityCanonicalizer } from '../index/extract-index.ts';
import { decimalRange } from '../values/decimal-range.ts';
import { numericComparison } from './number-condition.ts';
import { splitPrefix } from './prefix.ts';
import type { SqlParams } from './sql-params.ts';
import { splitEscaped, unescapeValue } from './split-values.ts';

const UCUM = 'http://unitsofmeasure.org';

/**
 * "[prefix]number|system|code". With a UCUM unit the comparison runs on canonical units, so
 * gt37|http://unitsofmeasure.org|Cel finds 99.5 [degF]. Other units compare as written; a unit
 * without a system matches Quantity.code or Quantity.unit.
 */
export interface QuantityColumns {
  value: string;
  system: string;
  code: string;
  unit: string;
  canonicalCode: string;
  canonicalValue: string;
}

const INDEX_COLUMNS: QuantityColumns = {
  value: 'i.value', system: 'i.system', code: 'i.code', unit: 'i.unit', canonicalCode: 'i.canonical_code', canonicalValue: 'i.canonical_value',
};

export function quantityCondition(params: SqlParams, value: string, paramName: string, canonicalize?: QuantityCanonicalizer, columns: QuantityColumns = INDEX_COLUMNS): string {
  const [numberPart, systemPart = '', ...codeParts] = splitEscaped(value, '|');
  const { prefix, rest } = splitPrefix(numberPart);
  const range = decimalRange(rest);
  if (!range) throw badRequest(`Invalid quantity '${value}' for search parameter '${paramName}'`, [paramName], 'value');
  const system = unescapeValue(systemPart);
  const code = unescapeValue(codeParts.join('|'));
  if (code && (system === UCUM || system === '') && canonicalize) {
    const low = canonicalize(Number(range.low), code);
    const center = canonicalize(Number(range.value), code);
    const high = canonicalize(Number(range.high), code);
    if (low && center && high) {
      const canonical = { value: String(center.value), low: String(Math.min(low.value, high.value)), high: String(Math.max(low.value, high.value)) };
      const unitSql = `${columns.canonicalCode} = ${params.add(center.code)}`;
      return `(${unitSql} AND ${numericComparison(params, prefix, canonical, columns.canonicalValue)})`;
    }
  }
  const conditions = [numericComparison(params, prefix, range, columns.value)];
  if (code) {
    const codeSql = params.add(code);
    conditions.push(system ? `${columns.code} = ${codeSql}` : `(${columns.code} = ${codeSql} OR ${columns.unit} = ${codeSql})`);
  }
  if (system) conditions.push(`${columns.system} = ${params.add(system)}`);
  return `(${conditions.join(' AND ')})`;
}
