import { createRequire } from 'node:module';
import { normalizeUnit } from './unit-normalize.ts';

export { normalizeUnit };

/**
 * UCUM through @lhncbc/ucum-lhc (pinned at 7.1.9; fhirpath@5.2.0 needs that exact line). The
 * library is correct but slow per call (validation ~0.4 µs, conversion ~1.3 µs, allocating), and
 * the search engine asks for canonical forms on every indexed quantity, so every answer is
 * computed once per unit code and cached. Conversions are expressed as `base = a·value + b`: a
 * plain factor for ordinary units, an affine pair for temperatures (Cel, [degF] are offsets, not
 * multiples, of K).
 */
const require = createRequire(import.meta.url);
const utils = (require('@lhncbc/ucum-lhc') as { UcumLhcUtils: { getInstance(): UcumUtils } }).UcumLhcUtils.getInstance();

interface UcumUtils {
  validateUnitString(code: string, suggest?: boolean): { status: string; ucumCode: string | null };
  convertToBaseUnits(code: string, value: number): { status: string; magnitude?: number; unitToExp?: Record<string, number> };
}

interface Canonical {
  /** UCUM base-unit expression, e.g. `g.m-1.s-2` for pressure, `K` for temperature, `1` for ratios. */
  code: string;
  a: number;
  b: number;
}

// Order of UCUM's base dimensions (metre, second, gram, radian, kelvin, coulomb, candela).
const BASE_ORDER = ['m', 's', 'g', 'rad', 'K', 'C', 'cd'];
const validity = new Map<string, boolean>();
const canonicals = new Map<string, Canonical | null>();

export function isValidUcum(code: string): boolean {
  let valid = validity.get(code);
  if (valid === undefined) {
    // ucum-lhc accepts leading/trailing blanks and some case variants; FHIR codes must match exactly.
    const result = code.length > 0 && !/\s/.test(code) ? utils.validateUnitString(code) : undefined;
    valid = result?.status === 'valid' && result.ucumCode === code;
    validity.set(code, valid);
  }
  return valid;
}

function canonicalOf(code: string): Canonical | null {
  let found = canonicals.get(code);
  if (found !== undefined) return found;
  found = null;
  if (isValidUcum(code)) {
    const at0 = utils.convertToBaseUnits(code, 0);
    const at1 = utils.convertToBaseUnits(code, 1);
    const at2 = utils.convertToBaseUnits(code, 2);
    if (at1.status === 'succeeded' && at0.status === 'succeeded' && at2.status === 'succeeded') {
      const b = at0.magnitude ?? 0;
      const a = (at1.magnitude ?? 0) - b;
      // Only linear or affine special units are cached; logarithmic ones (pH, dB) are left out.
      if (Math.abs((at2.magnitude ?? 0) - (2 * a + b)) <= Math.abs(a) * 1e-9) found = { code: baseCode(at1.unitToExp ?? {}), a, b };
    }
  }
  canonicals.set(code, found);
  return found;
}

function baseCode(exponents: Record<string, number>): string {
  const parts: string[] = [];
  for (const unit of BASE_ORDER) {
    const exponent = exponents[unit];
    if (exponent) parts.push(exponent === 1 ? unit : `${unit}${exponent}`);
  }
  return parts.length > 0 ? parts.join('.') : '1';
}

/** Floating-point noise from a factor chain (37.50000000000006) is cut at 12 significant digits. */
export function withoutFloatNoise(value: number): number {
  return Number(value.toPrecision(12));
}

/**
 * The value expressed in UCUM base units with a canonical unit string, so that `99.5 [degF]` and
 * `37.5 Cel` (both 310.65 K) or `mm[Hg]` and `kPa` compare. Undefined for invalid or arbitrary units.
 */
export function canonicalQuantity(value: number, code: string): { value: number; code: string } | undefined {
  const canonical = canonicalOf(code);
  if (!canonical) return undefined;
  return { value: withoutFloatNoise(canonical.a * value + canonical.b), code: canonical.code };
}

/** Converts between commensurable UCUM units; undefined when either unit is invalid or they differ in dimension. */
export function convertUcum(value: number, from: string, to: string): number | undefined {
  if (from === to) return isValidUcum(from) ? value : undefined;
  const source = canonicalOf(from);
  const target = canonicalOf(to);
  if (!source || !target || source.code !== target.code) return undefined;
  return withoutFloatNoise((source.a * value + source.b - target.b) / target.a);
}

/** True when both units are valid and measure the same dimension. */
export function areCommensurable(from: string, to: string): boolean {
  const source = canonicalOf(from);
  const target = canonicalOf(to);
  return !!source && !!target && source.code === target.code;
}
