import { describe, expect, it } from 'vitest';
import { compileJmesPath, JmesPathError } from '../../mappings/medtech/jmespath-medtech.ts';

const one = (expression: string, data: unknown = {}) => compileJmesPath(expression).selectToken(data);

/** Expected values are those of iomt-fhir's Microsoft.Health.Expressions.UnitTests. */
describe('MedTech JMESPath custom functions', () => {
  it('add / subtract / multiply keep integers integral', () => {
    expect(one('add(left, right)', { left: -1, right: 100 })).toBe(99);
    expect(one('add(left, right)', { left: -1, right: 10.5 })).toBe(9.5);
    expect(one('subtract(left, right)', { left: 100, right: 1 })).toBe(99);
    expect(one('multiply(left, right)', { left: 3, right: 4 })).toBe(12);
  });

  it('divide: integer division for integers, error on integer zero', () => {
    expect(one('divide(left, right)', { left: 100, right: 25 })).toBe(4);
    expect(one('divide(left, right)', { left: 100, right: -1 })).toBe(-100);
    expect(one('divide(left, right)', { left: 7, right: 2 })).toBe(3);
    expect(one('divide(left, right)', { left: 7, right: 2.5 })).toBe(2.8);
    expect(() => one('divide(left, right)', { left: 100, right: 0 })).toThrow(JmesPathError);
    expect(() => one('divide(left, right)', { left: 'bad', right: 100 })).toThrow();
  });

  it('pow: integer result for integers', () => {
    expect(one('pow(left, right)', { left: 2, right: 10 })).toBe(1024);
    expect(one('pow(left, right)', { left: 4, right: 0.5 })).toBe(2);
  });

  it('insertString inserts at a position, refusing out-of-range positions', () => {
    expect(one('insertString(original, toInsert, pos)', { original: 'myString', toInsert: '!!', pos: 8 })).toBe('myString!!');
    expect(one('insertString(original, toInsert, pos)', { original: 'ppy', toInsert: 'ha', pos: 0 })).toBe('happy');
    expect(one('insertString(original, toInsert, pos)', { original: 'suess', toInsert: 'cc', pos: 2 })).toBe('success');
    expect(one('insertString(original, toInsert, length(original))', { original: 'sample ', toInsert: 'text' })).toBe('sample text');
    expect(() => one('insertString(original, toInsert, pos)', { original: 'myString', toInsert: '!!', pos: 9 })).toThrow();
    expect(() => one('insertString(original, toInsert, pos)', { original: 'ppy', toInsert: 'ha', pos: -1 })).toThrow();
    expect(() => one('insertString(original, toInsert, pos)', { original: 'text', toInsert: 'x', pos: 1.5 })).toThrow();
  });

  it('fromUnixTimestamp / fromUnixTimestampMs give UTC date-times', () => {
    expect(one('fromUnixTimestamp(timestamp)', { timestamp: 0 })).toBe('1970-01-01T00:00:00Z');
    expect(one('fromUnixTimestamp(timestamp)', { timestamp: 1625677200 })).toBe('2021-07-07T17:00:00Z');
    expect(one('fromUnixTimestamp(timestamp)', { timestamp: -1 })).toBe('1969-12-31T23:59:59Z');
    expect(one('fromUnixTimestampMs(timestamp)', { timestamp: 1626799080000 })).toBe('2021-07-20T16:38:00Z');
    expect(one('fromUnixTimestampMs(timestamp)', { timestamp: -1000 })).toBe('1969-12-31T23:59:59Z');
    expect(() => one('fromUnixTimestamp(timestamp)', { timestamp: 'badData' })).toThrow();
  });

  it('appendString appends', () => {
    expect(one("appendString('abc', 'def')")).toBe('abcdef');
  });

  it('refuses wrong argument counts at parse or call time', () => {
    expect(() => one('divide(left)', { left: 1 })).toThrow();
    expect(() => compileJmesPath('divide(left, right')).toThrow(/could not be parsed/);
  });
});

describe('MedTech token semantics', () => {
  it("parses Microsoft's to_array(@.Body) | [? …] sample and yields projection elements", () => {
    const envelope = { Body: [{ deviceId: 'deviceTypeB1', data: [{ a: 1 }, { a: 2 }] }, { deviceId: 'other', data: [{ a: 3 }] }] };
    const tokens = compileJmesPath("to_array(@.Body) | [? deviceId && starts_with(deviceId, 'deviceTypeB')].data[] ").selectTokens(envelope);
    expect(tokens).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('treats a plain array result as one token, a projection as many', () => {
    expect(compileJmesPath('list').selectTokens({ list: [1, 2] })).toEqual([[1, 2]]);
    expect(compileJmesPath('list[*]').selectTokens({ list: [1, 2] })).toEqual([1, 2]);
    expect(compileJmesPath('missing').selectTokens({})).toEqual([]);
    expect(() => compileJmesPath('list[*]').selectToken({ list: [1, 2] })).toThrow(/Multiple tokens/);
  });

  it('multiplies like .NET doubles (1.9811999999999999 for 78 × 0.0254)', () => {
    expect(one('multiply(to_number(matchedToken.height), `0.0254`)', { matchedToken: { height: '78' } })).toBeCloseTo(1.9812, 4);
  });
});
