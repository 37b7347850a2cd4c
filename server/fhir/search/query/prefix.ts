export type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';

const PREFIXES = new Set<Prefix>(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap']);

/** Splits "ge2013-01" into prefix and value; values without a prefix compare with eq. */
export function splitPrefix(value: string): { prefix: Prefix; rest: string } {
  const candidate = value.slice(0, 2) as Prefix;
  if (PREFIXES.has(candidate) && value.length > 2 && !/^[a-z]/i.test(value[2] ?? '')) return { prefix: candidate, rest: value.slice(2) };
  return { prefix: 'eq', rest: value };
}

/**
 * Range comparison per the FHIR search page: the search value is [s, e), the indexed value is
 * [low, high). Returns SQL over the given column expressions.
 */
export function rangeCondition(
  prefix: Prefix,
  low: string,
  high: string,
  s: () => string,
  e: () => string,
  approx?: { s: () => string; e: () => string },
): string {
  const contained = () => `(${low} >= ${s()} AND ${high} <= ${e()})`;
  switch (prefix) {
    case 'eq':
      return contained();
    case 'ne':
      return `NOT ${contained()}`;
    case 'gt':
      return `${high} > ${e()}`;
    case 'lt':
      return `${low} < ${s()}`;
    case 'ge':
      return `(${high} > ${e()} OR ${contained()})`;
    case 'le':
      return `(${low} < ${s()} OR ${contained()})`;
    case 'sa':
      return `${low} >= ${e()}`;
    case 'eb':
      return `${high} <= ${s()}`;
    case 'ap':
      return `(${low} < ${approx!.e()} AND ${high} > ${approx!.s()})`;
  }
}
