import type { JsonObject } from './validation-context.ts';
import type { Collection } from './fhirpath-values.ts';

/** Shared shapes of the FHIRPath subset compiler (see fhirpath-subset.ts). */

export interface SubsetEnv {
  resource: JsonObject;
  rootResource: JsonObject;
}

/** What the compiler knows about the values of an expression before running it. */
export type StaticType =
  | { k: 'complex'; type: string; path: string }
  | { k: 'primitive'; type: string }
  | { k: 'choice' }
  /** A resource of any type (contained, Bundle.entry.resource): its type is known only at run time. */
  | { k: 'resource' }
  | { k: 'value'; type: 'Boolean' | 'String' | 'Integer' | 'Decimal' }
  | { k: 'unknown' };

/** focus: the input collection; self: $this; both are [node] at the start of an expression. */
export type Evaluator = (focus: Collection, self: Collection, env: SubsetEnv) => Collection;

export interface Compiled {
  fn: Evaluator;
  t: StaticType;
  /** For a choice element: the same navigation limited to one type (for ofType/as/is). */
  restrict?: (typeCode: string) => Compiled;
}

/** Thrown while compiling an expression outside the subset: the caller uses fhirpath.js instead. */
export class Unsupported extends Error {}

export type Ast = { type: string; text?: string; children?: Ast[] };

export const BOOLEAN: StaticType = { k: 'value', type: 'Boolean' };
export const STRING: StaticType = { k: 'value', type: 'String' };
export const INTEGER: StaticType = { k: 'value', type: 'Integer' };
export const UNKNOWN: StaticType = { k: 'unknown' };
const DATE_TYPES = new Set(['date', 'dateTime', 'instant', 'time']);
const NUMERIC_TYPES = new Set(['integer', 'decimal', 'positiveInt', 'unsignedInt']);

export function identifierText(node: Ast): string {
  const text = node.text ?? '';
  return text.startsWith('`') ? text.slice(1, -1) : text;
}

export function isDateType(t: StaticType): boolean {
  return t.k === 'primitive' && DATE_TYPES.has(t.type);
}

export function isNumericType(t: StaticType): boolean {
  return (t.k === 'value' && (t.type === 'Integer' || t.type === 'Decimal')) || (t.k === 'primitive' && NUMERIC_TYPES.has(t.type));
}

/** Values that compare by plain equality: not dates (precision, time zones) and of a known type. */
export function comparable(t: StaticType): boolean {
  return !isDateType(t) && t.k !== 'unknown' && t.k !== 'choice';
}

/** Type of `a | b`: kept when both sides agree on a non-date primitive kind, else unknown. */
export function unionType(a: StaticType, b: StaticType): StaticType {
  const simple = (t: StaticType) => (t.k === 'value' || t.k === 'primitive') && !isDateType(t);
  return simple(a) && simple(b) ? a : UNKNOWN;
}
