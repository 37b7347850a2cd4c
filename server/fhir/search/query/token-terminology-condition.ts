import { notSupported } from '../../outcome.ts';
import { ancestorsOf, descendantsOf } from '../../../../terminology/code-system-hierarchy.ts';
import type { ValueSetCodes } from '../../../../terminology/value-set-codes.ts';
import type { SqlParams } from './sql-params.ts';
import { splitEscaped, unescapeValue } from './split-values.ts';

/** token:below / token:above: the code and what it subsumes (or what subsumes it), in a known code system. */
export function subsumptionCondition(params: SqlParams, value: string, modifier: 'above' | 'below', name: string): string {
  const parts = splitEscaped(value, '|');
  if (parts.length < 2 || !parts[0]) throw notSupported(`${name} needs system|code: subsumption is only defined within a code system`);
  const system = unescapeValue(parts[0]);
  const code = unescapeValue(parts.slice(1).join('|'));
  const codes = modifier === 'below' ? descendantsOf(system, code) : ancestorsOf(system, code);
  if (!codes) throw notSupported(`The code system '${system}' is not known to this server, so :${modifier} cannot be evaluated`);
  return `(i.system = ${params.add(system)} AND i.code = ANY(${params.add([...codes])}::text[]))`;
}

/** token:in / token:not-in against the pre-expanded codes of a value set. */
export function valueSetCondition(params: SqlParams, codes: ValueSetCodes): string {
  const systems: string[] = [];
  const values: string[] = [];
  for (const [system, set] of codes) for (const code of set) systems.push(system), values.push(code);
  if (values.length === 0) return 'false';
  return `(i.system, i.code) IN (SELECT * FROM unnest(${params.add(systems)}::text[], ${params.add(values)}::text[]))`;
}

/** identifier:of-type=typeSystem|typeCode|value, against idx_identifier_type row `i`. */
export function ofTypeCondition(params: SqlParams, value: string, name: string): string {
  const parts = splitEscaped(value, '|').map(unescapeValue);
  if (parts.length !== 3 || !parts[1] || !parts[2]) throw notSupported(`${name} takes type-system|type-code|value`);
  return `(i.type_system = ${params.add(parts[0])} AND i.type_code = ${params.add(parts[1])} AND i.value = ${params.add(parts[2])})`;
}
