import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { identifierTime, ingestIdentifier, normalizeEui64, normalizeMac } from '../../mappings/identity.ts';
import { isRealDateTime } from '../../mappings/timestamps.ts';

// Readings are named by these functions (their ids derive from the identifier and its time), so a
// faster implementation must give exactly what the obvious one gives: the oracles below are the
// regular-expression and Date versions they replaced.
const COMPACT = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\.\d{3})?Z$/;
function timeOracle(identifier: string): number {
  const time = identifier.slice(identifier.lastIndexOf('|') + 1).split('/')[0];
  const match = COMPACT.exec(time);
  if (!match) return Date.parse(time);
  const [, y, mo, d, h, mi, s, f] = match;
  return Date.UTC(+y, +mo - 1, +d, +h, +mi, +s, f ? +f.slice(1) : 0);
}
function compactOracle(dateTime: string): string {
  if (dateTime.length <= 10) return dateTime;
  const millis = Date.parse(dateTime);
  if (Number.isNaN(millis)) return dateTime;
  const iso = new Date(millis).toISOString();
  const base = iso.slice(0, 19).replace(/[-:]/g, '');
  return iso.slice(19, 23) === '.000' ? `${base}Z` : `${base}${iso.slice(19, 23)}Z`;
}
function hexOracle(text: string, digits: number): string | undefined {
  const hex = text.replace(/[:\-\s]/g, '');
  return new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex) ? hex.toUpperCase().match(/../g)!.join('-') : undefined;
}
function realOracle(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/.exec(value);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  if (hour > 23 || minute > 59 || second > 59 || month < 1 || month > 12 || day < 1) return false;
  // Years below 100 left out: Date.UTC reads them as 19xx, the calendar check does not.
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}
const sameNumber = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));

const digit = fc.constantFrom(...'0123456789');
const twoDigits = fc.tuple(digit, digit).map((pair) => pair.join(''));
const dateTimes = fc
  .tuple(fc.integer({ min: 100, max: 9999 }), twoDigits, twoDigits, twoDigits, twoDigits, twoDigits, fc.constantFrom('', '.000', '.123', '.5', '.1234', '.00a'), fc.constantFrom('Z', '+00:00', '-05:30', '', 'z'))
  .map(([y, mo, d, h, mi, s, f, z]) => `${String(y).padStart(4, '0')}-${mo}-${d}T${h}:${mi}:${s}${f}${z}`);

describe('reading identity', () => {
  it('ingest identifiers and their times are what the regular-expression and Date versions give', () => {
    fc.assert(
      fc.property(dateTimes, (time) => {
        const identifier = ingestIdentifier({ system: 's', value: 'v' }, 'heart-rate', time).value;
        expect(identifier).toBe(`s|v|heart-rate|${compactOracle(time)}`);
        expect(isRealDateTime(time)).toBe(realOracle(time));
        expect(sameNumber(identifierTime(identifier), timeOracle(identifier))).toBe(true);
      }),
      { numRuns: 20_000 },
    );
    // Identifiers written some other way: near-compact shapes must fall back exactly as before.
    const shaped = fc
      .tuple(fc.array(digit, { minLength: 8, maxLength: 8 }), fc.array(digit, { minLength: 6, maxLength: 6 }), fc.constantFrom('', '.5', '.12', '.123', '.1234', '.x23'), fc.constantFrom('Z', '', 'z', 'Z/x'))
      .map(([date, time, fraction, zone]) => `s|v|x|${date.join('')}T${time.join('')}${fraction}${zone}`);
    fc.assert(fc.property(shaped, (identifier) => sameNumber(identifierTime(identifier), timeOracle(identifier))), { numRuns: 20_000 });
    expect(identifierTime('s|v|x|00000000T000000.5Z')).toBeNaN();
  });

  it('spells MAC and EUI-64 addresses as the PHD IG does, and nothing else', () => {
    const chars = fc.constantFrom(...'0123456789abcdefABCDEFg:- \t\u00a0\u3000');
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 24 }).map((a) => a.join('')), (text) => {
        expect(normalizeMac(text)).toBe(hexOracle(text, 12));
        expect(normalizeEui64(text)).toBe(hexOracle(text, 16));
      }),
      { numRuns: 20_000 },
    );
    expect(normalizeMac('aa:bb:cc:00:00:0a')).toBe('AA-BB-CC-00-00-0A');
    expect(normalizeEui64('0123456789abcdef')).toBe('01-23-45-67-89-AB-CD-EF');
  });
});
