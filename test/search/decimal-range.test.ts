import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decimalRange } from '../../server/fhir/search/values/decimal-range.ts';

describe('implicit precision ranges of decimals', () => {
  it.each([
    ['100', '100', '99.5', '100.5'],
    ['1.50', '1.50', '1.495', '1.505'],
    ['0.25', '0.25', '0.245', '0.255'],
    ['-3.2', '-3.2', '-3.25', '-3.15'],
    ['1e2', '1.0e2', '50', '150'],
    ['12345678901234567890', '12345678901234567890.0', '12345678901234567889.5', '12345678901234567890.5'],
  ])('%s covers [%s ± half a unit in the last place)', (text, value, low, high) => {
    const range = decimalRange(text)!;
    expect(Number(range.value)).toBe(Number(value));
    expect(Number(range.low)).toBe(Number(low));
    expect(Number(range.high)).toBe(Number(high));
  });

  it('the fast path agrees exactly with exact decimal arithmetic', () => {
    fc.assert(
      fc.property(fc.integer({ min: -99_999_999, max: 99_999_999 }), fc.integer({ min: 0, max: 5 }), (units, places) => {
        const text = (units / 10 ** places).toFixed(places);
        const range = decimalRange(text)!;
        // Exact bounds: scale to integers in units of half the last place.
        const scaled = BigInt(text.replace('.', '')) * 10n;
        const expectLow = scaled - 5n;
        const expectHigh = scaled + 5n;
        const toScaled = (s: string) => BigInt(Number(s).toFixed(places + 1).replace('.', ''));
        expect(toScaled(range.low)).toBe(expectLow);
        expect(toScaled(range.high)).toBe(expectHigh);
      }),
      { numRuns: 3000 },
    );
  });
});
