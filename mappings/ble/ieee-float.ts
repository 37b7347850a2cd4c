import type { FhirDecimal } from '../../server/fhir/json/index.ts';
import { decimalFromMantissa } from '../decimal-text.ts';
import type { DataAbsentCode } from '../measurement.ts';

/**
 * IEEE 11073-20601 SFLOAT (16 bit: 4-bit exponent, 12-bit mantissa) and FLOAT (32 bit: 8-bit
 * exponent, 24-bit mantissa), both two's complement, value = mantissa × 10^exponent. The exponent
 * is kept: 0xF16E (366 × 10⁻¹) is 36.6 and 0xE0C8 (200 × 10⁻²) is "2.00", which FHIR treats as a
 * different precision from 2. Reserved mantissas are the special values (PHD IG FLOATS.md), each
 * mapped to a FHIR data-absent-reason.
 */
export type IeeeFloat = { value: number | FhirDecimal; mantissa: number; exponent: number } | { absent: DataAbsentCode; special: string };

const SFLOAT_SPECIALS: Record<number, [DataAbsentCode, string]> = {
  0x07ff: ['not-a-number', 'NaN'],
  0x0800: ['error', 'NRes'],
  0x07fe: ['positive-infinity', '+INFINITY'],
  0x0802: ['negative-infinity', '-INFINITY'],
  0x0801: ['error', 'reserved'],
};

const FLOAT_SPECIALS: Record<number, [DataAbsentCode, string]> = {
  0x7fffff: ['not-a-number', 'NaN'],
  0x800000: ['error', 'NRes'],
  0x7ffffe: ['positive-infinity', '+INFINITY'],
  0x800002: ['negative-infinity', '-INFINITY'],
  0x800001: ['error', 'reserved'],
};

export function decodeSfloat(raw: number): IeeeFloat {
  const rawMantissa = raw & 0x0fff;
  const special = SFLOAT_SPECIALS[rawMantissa];
  if (special) return { absent: special[0], special: special[1] };
  const mantissa = rawMantissa >= 0x0800 ? rawMantissa - 0x1000 : rawMantissa;
  const rawExponent = (raw >> 12) & 0x0f;
  const exponent = rawExponent >= 0x08 ? rawExponent - 0x10 : rawExponent;
  return { value: decimalFromMantissa(mantissa, exponent), mantissa, exponent };
}

export function decodeFloat(raw: number): IeeeFloat {
  const rawMantissa = raw & 0x00ffffff;
  const special = FLOAT_SPECIALS[rawMantissa];
  if (special) return { absent: special[0], special: special[1] };
  const mantissa = rawMantissa >= 0x800000 ? rawMantissa - 0x1000000 : rawMantissa;
  const rawExponent = (raw >>> 24) & 0xff;
  const exponent = rawExponent >= 0x80 ? rawExponent - 0x100 : rawExponent;
  return { value: decimalFromMantissa(mantissa, exponent), mantissa, exponent };
}
