import { FhirDecimal } from '../server/fhir/json/index.ts';

/** A decimal given as text: a plain number when the text is its canonical spelling, else a FhirDecimal keeping the text. */
export function decimalFromText(text: string): number | FhirDecimal {
  const value = Number(text);
  return String(value) === text ? value : new FhirDecimal(text);
}

/**
 * mantissa × 10^exponent written with exactly the precision the device sent (IEEE 11073 SFLOAT and
 * FLOAT): 366 e-1 → 36.6, 200 e-2 → "2.00" (a FhirDecimal, since JS would print 2), 2 e1 → 20.
 */
export function decimalFromMantissa(mantissa: number, exponent: number): number | FhirDecimal {
  const negative = mantissa < 0;
  const digits = String(Math.abs(mantissa));
  let text: string;
  if (exponent >= 0) text = digits + '0'.repeat(exponent);
  else {
    const places = -exponent;
    const padded = digits.padStart(places + 1, '0');
    text = `${padded.slice(0, padded.length - places)}.${padded.slice(padded.length - places)}`;
  }
  return decimalFromText(negative ? `-${text}` : text);
}

/** Decimal places in a numeric value's text (`36.60` → 2). */
export function decimalPlaces(value: number | FhirDecimal): number {
  const text = String(value);
  if (/e/i.test(text)) return 0;
  const point = text.indexOf('.');
  return point < 0 ? 0 : text.length - point - 1;
}

/** Rounds a converted value to `places` decimals, written with that precision. */
export function roundTo(value: number, places: number): number | FhirDecimal {
  return decimalFromText(value.toFixed(Math.max(0, Math.min(places, 10))));
}

/** Strict decimal syntax (FHIR decimal / JSON number); rejects `1e5`, `0x10`, blanks, `NaN`. */
export const DECIMAL_PATTERN = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;
