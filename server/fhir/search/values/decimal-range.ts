/**
 * The implicit range of a decimal written with a given precision: "100" covers [99.5, 100.5),
 * "1.50" covers [1.495, 1.505), "1e2" covers [50, 150). Kept as decimal strings so PostgreSQL
 * numeric compares them exactly; floating point would blur the edges.
 */
export interface DecimalRange {
  value: string;
  low: string;
  high: string;
}

const NUMBER_PATTERN = /^([+-]?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

export function decimalRange(text: string): DecimalRange | undefined {
  const m = NUMBER_PATTERN.exec(text.trim());
  if (!m) return undefined;
  const [, sign, intPart, fracPart = '', expPart] = m;
  const exponent = expPart ? Number(expPart) : 0;
  if (!Number.isFinite(exponent) || Math.abs(exponent) > 300) return undefined;
  // Half a unit in the last significant place; with an exponent, significance is the mantissa's digits.
  const lastPlace = -fracPart.length + exponent;
  if (exponent === 0 && intPart.length + fracPart.length <= 14) {
    // Common case (device readings): doubles carry 15+ significant digits, so toFixed at one more
    // decimal place than the value's is exact. BigInt arithmetic below handles everything else.
    const number = Number(`${sign}${intPart}.${fracPart || '0'}`);
    const half = 0.5 * 10 ** lastPlace;
    const places = fracPart.length + 1;
    return { value: number.toFixed(fracPart.length), low: (number - half).toFixed(places), high: (number + half).toFixed(places) };
  }
  const value = normalize(`${sign}${intPart}.${fracPart || '0'}`, exponent);
  const half = `5e${lastPlace - 1}`;
  return { value, low: subtract(value, half), high: add(value, half) };
}

function normalize(mantissa: string, exponent: number): string {
  return exponent === 0 ? mantissa : `${mantissa}e${exponent}`;
}

// PostgreSQL numeric parses exponent notation and does the arithmetic exactly; expressing the
// bounds as SQL-evaluable text would need a round trip, so compute them here with BigInt.
function add(a: string, b: string): string {
  return fromScaled(toScaled(a) + toScaled(b));
}

function subtract(a: string, b: string): string {
  return fromScaled(toScaled(a) - toScaled(b));
}

const SCALE = 400;

function toScaled(text: string): bigint {
  const m = NUMBER_PATTERN.exec(text)!;
  const [, sign, intPart, fracPart = '', expPart] = m;
  const exponent = (expPart ? Number(expPart) : 0) - fracPart.length + SCALE;
  const digits = BigInt(intPart + fracPart);
  const scaled = exponent >= 0 ? digits * 10n ** BigInt(exponent) : digits / 10n ** BigInt(-exponent);
  return sign === '-' ? -scaled : scaled;
}

function fromScaled(value: bigint): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(SCALE + 1, '0');
  const intPart = digits.slice(0, digits.length - SCALE);
  const fracPart = digits.slice(digits.length - SCALE).replace(/0+$/, '');
  return `${negative ? '-' : ''}${intPart}${fracPart ? '.' + fracPart : ''}`;
}
