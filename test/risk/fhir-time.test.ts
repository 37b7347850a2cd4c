import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFhirDateTime } from '../../server/risk/fhir-time.ts';

describe('parseFhirDateTime', () => {
  it('agrees with Date.parse on FHIR dateTimes with offsets and fractions', () => {
    const pad = (n: number, w: number) => String(n).padStart(w, '0');
    const text = fc
      .record({
        ms: fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2100, 0, 1) }),
        fraction: fc.constantFrom('', '.1', '.25', '.123', '.123456'),
        offset: fc.integer({ min: -12 * 60, max: 14 * 60 }).map((m) => m - (m % 15)),
        zulu: fc.boolean(),
      })
      .map(({ ms, fraction, offset, zulu }) => {
        const local = new Date(ms + (zulu ? 0 : offset) * 60_000);
        const zone = zulu ? 'Z' : `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60), 2)}:${pad(Math.abs(offset) % 60, 2)}`;
        return `${local.toISOString().slice(0, 19)}${fraction}${zone}`;
      });
    fc.assert(fc.property(text, (t) => parseFhirDateTime(t) === Date.parse(t)), { numRuns: 2_000 });
  });

  it('hands partial and unusual forms to Date.parse', () => {
    for (const t of ['2024', '2024-03', '2024-03-01', '0099-01-01T00:00:00Z', '2024-13-01T00:00:00Z', 'not a date']) {
      expect(Number.isNaN(parseFhirDateTime(t)) ? 'NaN' : parseFhirDateTime(t)).toEqual(Number.isNaN(Date.parse(t)) ? 'NaN' : Date.parse(t));
    }
  });
});
