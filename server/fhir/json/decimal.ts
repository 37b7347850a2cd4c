/**
 * A JSON number whose source text carries precision a JS number cannot hold ("1.50", "72.0",
 * "1e2", integers beyond 2^53). FHIR makes decimal precision significant, so such numbers keep
 * their text from parse to storage. Numbers whose text round-trips through `Number` stay plain
 * numbers: that is the overwhelming majority, and it keeps the common path allocation-free.
 */
export class FhirDecimal {
  constructor(readonly text: string) {}
  valueOf(): number {
    return Number(this.text);
  }
  toString(): string {
    return this.text;
  }
  /** Picked up by `stringify`, which swaps the marker for the raw text. */
  toJSON(): string {
    return DECIMAL_MARKER + this.text;
  }
}

/** Strings in valid FHIR resources cannot contain U+0000, so the marker cannot collide with data. */
export const DECIMAL_MARKER = '\u0000fhir-decimal:';

export function isNumeric(value: unknown): value is number | FhirDecimal {
  return typeof value === 'number' || value instanceof FhirDecimal;
}

/** The number a JSON numeric value denotes, or undefined for anything else. */
export function numericValue(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value instanceof FhirDecimal) return Number(value.text);
  return undefined;
}

/** The number's text as it appeared in the source (the precision FHIR cares about). */
export function numericText(value: number | FhirDecimal): string {
  return typeof value === 'number' ? String(value) : value.text;
}

/**
 * A deep copy with every FhirDecimal replaced by its number, for libraries (fhirpath.js, JSON
 * Patch) that only understand plain JSON. Returns the input itself when it holds no decimals.
 */
export function withPlainNumbers<T>(value: T): T {
  return (containsDecimal(value) ? replaceDecimals(value) : value) as T;
}

function containsDecimal(value: unknown): boolean {
  if (value instanceof FhirDecimal) return true;
  if (Array.isArray(value)) return value.some(containsDecimal);
  if (value !== null && typeof value === 'object') {
    for (const key in value) if (containsDecimal((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

function replaceDecimals(value: unknown): unknown {
  if (value instanceof FhirDecimal) return Number(value.text);
  if (Array.isArray(value)) return value.map(replaceDecimals);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = replaceDecimals((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}
