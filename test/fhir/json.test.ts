import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FhirDecimal, JsonSyntaxError, parseJson, stringifyJson, withPlainNumbers } from '../../server/fhir/json/index.ts';

describe('FHIR JSON parsing keeps what JSON.parse loses', () => {
  it('keeps decimal precision through parse and stringify', () => {
    const text = '{"a":1.50,"b":[1,2.0,3e2,-0,0.1,12345678901234567890],"c":"x\\u0041\\n"}';
    const value = parseJson(text) as any;
    expect(value.a).toBeInstanceOf(FhirDecimal);
    expect(value.b[0]).toBe(1);
    expect(value.b[4]).toBe(0.1);
    expect(stringifyJson(value)).toBe('{"a":1.50,"b":[1,2.0,3e2,-0,0.1,12345678901234567890],"c":"xA\\n"}');
    expect(withPlainNumbers(value).a).toBe(1.5);
  });

  it.each([
    ['{"a":1,"a":2}', 'Duplicate property', 1, 8],
    ['{"a":01}', 'Leading zeros', 1, 6],
    ['[1,]', "Unexpected character ']'", 1, 4],
    ['{"a":"\u0001"}', 'control character', 1, 7],
    ['"!w', 'Unterminated string', 1, 1],
    ['"abc\\', 'Unterminated string', 1, 1],
    ['{\n  "a": tru }', "expected 'true'", 2, 8],
    ['[[[[', 'Unexpected end', 1, 5],
    ['{"a":1}x', 'after the JSON value', 1, 8],
    ['1.', 'digits expected after the decimal point', 1, 1],
  ])('rejects %j with a located error', (text, reason, line, column) => {
    try {
      parseJson(text);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(JsonSyntaxError);
      expect((error as JsonSyntaxError).message).toContain(reason);
      expect([(error as JsonSyntaxError).line, (error as JsonSyntaxError).column]).toEqual([line, column]);
    }
  });

  it('bounds nesting and never turns __proto__ into a prototype', () => {
    expect(() => parseJson('['.repeat(100_000))).toThrow(/nested deeper/);
    const value = parseJson('{"__proto__":{"polluted":true}}') as any;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(({} as any).polluted).toBeUndefined();
    expect(value.__proto__.polluted).toBe(true);
  });

  it('agrees with JSON.parse on every valid JSON text and terminates on every string', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 8 }), (text) => {
        expect(withPlainNumbers(parseJson(text))).toEqual(JSON.parse(text));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        let native: unknown;
        let nativeFailed = false;
        try {
          native = JSON.parse(text);
        } catch {
          nativeFailed = true;
        }
        try {
          const ours = parseJson(text);
          expect(nativeFailed).toBe(false);
          expect(withPlainNumbers(ours)).toEqual(native);
        } catch (error) {
          if (!(error instanceof JsonSyntaxError)) throw error;
          expect(nativeFailed).toBe(true);
        }
      }),
      { numRuns: 5000 },
    );
  });
});
