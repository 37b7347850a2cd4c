import { FhirDecimal } from '../server/fhir/json/index.ts';

/**
 * Runtime values of the compiled FHIRPath subset: plain JSON nodes of the resource (objects,
 * strings, booleans, numbers, FhirDecimal) plus ExtensionOnly for a primitive element that has
 * extensions but no value. Collections are plain arrays.
 */
export class ExtensionOnly {
  constructor(readonly element: unknown) {}
}

/**
 * Raised while evaluating when a case needs the full engine (dates, quantities, ambiguous typing).
 * Not an Error: it is control flow, and capturing a stack trace per throw was measurable.
 */
export class NeedsFullEngine {
  constructor(readonly reason: string) {}
}

/**
 * Raised when fhirpath.js would fail on the same input (e.g. a regex JavaScript rejects): the
 * invariant cannot be evaluated, which counts as satisfied without asking fhirpath.js to fail again.
 */
export class Undecidable {
  constructor(readonly reason: string) {}
}

export type Collection = unknown[];

export function isPrimitiveValue(item: unknown): boolean {
  const type = typeof item;
  return type === 'string' || type === 'boolean' || type === 'number' || item instanceof FhirDecimal;
}

/** Number value of a numeric item, or undefined. */
export function asNumber(item: unknown): number | undefined {
  if (typeof item === 'number') return item;
  if (item instanceof FhirDecimal) return Number(item.text);
  return undefined;
}

/**
 * FHIRPath singleton evaluation of a collection as a Boolean: empty stays empty (undefined), one
 * boolean is itself, any other single item counts as true. More items are an error in FHIRPath.
 */
export function toBoolean(collection: Collection): boolean | undefined {
  if (collection.length === 0) return undefined;
  if (collection.length > 1) throw new NeedsFullEngine('boolean of a collection');
  const item = collection[0];
  return typeof item === 'boolean' ? item : true;
}

export function fromBoolean(value: boolean | undefined): Collection {
  return value === undefined ? [] : [value];
}

/** FHIRPath `=` between two items: primitives by value, complex nodes by deep equality. */
export function itemsEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const an = asNumber(a);
  if (an !== undefined) return an === asNumber(b);
  if (a instanceof ExtensionOnly || b instanceof ExtensionOnly) throw new NeedsFullEngine('equality on extension-only primitive');
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => itemsEqual(item, b[i]));
  }
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  for (const key of aKeys) {
    if (!Object.prototype.hasOwnProperty.call(b, key)) return false;
    if (!itemsEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/** FHIRPath `=` between collections: empty if either is empty, else equal length and pairwise equal. */
export function collectionsEqual(a: Collection, b: Collection): boolean | undefined {
  if (a.length === 0 || b.length === 0) return undefined;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!itemsEqual(a[i], b[i])) return false;
  return true;
}

export function distinct(collection: Collection): Collection {
  if (allStrings(collection)) return [...new Set(collection)];
  const out: Collection = [];
  for (const item of collection) if (!out.some((seen) => itemsEqual(seen, item))) out.push(item);
  return out;
}

const DATE_TIME = /^(\d{4}(?:-\d{2}(?:-\d{2})?)?)(?:T(\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * FHIRPath ordering of two date/dateTime/instant strings: negative, zero or positive, or
 * undefined when FHIRPath answers empty (different precisions that agree as far as both go).
 * Date-only values compare by their common prefix; values with times compare as instants.
 * Anything else (a date against a time-of-day, times without zone) needs the full engine.
 */
export function compareDateTimes(a: string, b: string): number | undefined {
  const x = DATE_TIME.exec(a);
  const y = DATE_TIME.exec(b);
  if (!x || !y) throw new NeedsFullEngine('date format');
  const xTime = x[2] !== undefined;
  const yTime = y[2] !== undefined;
  if (xTime && yTime) return Date.parse(a) - Date.parse(b);
  if (xTime || yTime) throw new NeedsFullEngine('date compared with dateTime');
  const common = Math.min(x[1].length, y[1].length);
  const [px, py] = [x[1].slice(0, common), y[1].slice(0, common)];
  if (px !== py) return px < py ? -1 : 1;
  return x[1].length === y[1].length ? 0 : undefined;
}

/** Fast path for distinct/isDistinct over strings (bdl-7 runs over every entry of a Bundle). */
export function allStrings(collection: Collection): collection is string[] {
  for (const item of collection) if (typeof item !== 'string') return false;
  return true;
}
