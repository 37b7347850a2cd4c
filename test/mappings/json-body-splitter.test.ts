import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonSyntaxError, parseJson, withPlainNumbers } from '../../server/fhir/json/index.ts';
import { JsonBodySplitter } from '../../mappings/split/json-body-splitter.ts';
import { splitBody, splitBodySync } from '../../mappings/split/split-body.ts';

/** Strings full of what a naive splitter trips over: quotes, escapes, brackets, commas, multi-byte characters. */
const tricky = fc.string({ unit: fc.constantFrom('"', '\\', '[', ']', '{', '}', ',', ':', ' ', '\n', 'a', 'é', '😀', '\u2028', '/'), maxLength: 12 });

const { value: jsonValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, true, false),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    tricky,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(tricky, tie('value'), { maxKeys: 4 }),
  ),
}));

/** Whitespace a client may put between tokens (JSON.stringify's indentation). */
const layout = fc.constantFrom(undefined, 0, 1, 2, '\t', '\r\n  ');

/** Cuts text at the given fractions into consecutive pieces. */
function chunks(text: string, cuts: number[]): string[] {
  const at = [...new Set(cuts.map((cut) => Math.floor(cut * text.length)))].sort((a, b) => a - b);
  const out: string[] = [];
  let from = 0;
  for (const to of [...at, text.length]) {
    out.push(text.slice(from, to));
    from = to;
  }
  return out;
}

type Outcome = { values: unknown[] } | { error: { reason: string; line: number; column: number } };

function split(pieces: string[]): Outcome {
  const splitter = new JsonBodySplitter(true);
  const values: unknown[] = [];
  try {
    for (const piece of pieces) for (const item of splitter.push(piece)) values.push(item.value);
    for (const item of splitter.end()) values.push(item.value);
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    return { error: { reason: error.reason, line: error.line, column: error.column } };
  }
  return { values: values.map((value) => withPlainNumbers(value)) };
}

/** What parsing the whole body at once gives: the array's elements, the single value, or the error. */
function whole(text: string): Outcome {
  try {
    const value = parseJson(text);
    return { values: (Array.isArray(value) ? value : [value]).map((item) => withPlainNumbers(item)) };
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    return { error: { reason: error.reason, line: error.line, column: error.column } };
  }
}

describe('JsonBodySplitter: a JSON array body split into its elements as chunks arrive', () => {
  it('gives the elements JSON.parse gives for the whole array, wherever the chunks are cut', () => {
    fc.assert(
      fc.property(fc.array(jsonValue, { maxLength: 8 }), layout, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }), (array, space, cuts) => {
        const text = JSON.stringify(array, null, space);
        expect(split(chunks(text, cuts))).toEqual({ values: JSON.parse(text) });
      }),
      { numRuns: 500 },
    );
  });

  it('reports malformed bodies with the reason, line and column parseJson gives for the whole body', () => {
    const mutation = fc.tuple(fc.constantFrom('delete', 'insert', 'truncate'), fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom('"', '\\', '[', ']', '{', '}', ',', ':', 'x', '1', '\n', ' ', '-', '0', 't'));
    fc.assert(
      fc.property(fc.array(jsonValue, { maxLength: 6 }), layout, fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }), (array, space, mutations, cuts) => {
        let text = JSON.stringify(array, null, space);
        for (const [kind, where, char] of mutations) {
          const at = Math.floor(where * text.length);
          if (kind === 'delete') text = text.slice(0, at) + text.slice(at + 1);
          else if (kind === 'insert') text = text.slice(0, at) + char + text.slice(at);
          else text = text.slice(0, at);
        }
        expect(split(chunks(text, cuts))).toEqual(whole(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('element split inside strings with escaped quotes and brackets', () => {
    const text = '[{"a":"x\\"],[{\\\\","b":[1,{"c":"}"}]},"\\\\\\"", 2.50 ,\n {"d":"é😀"}]';
    for (let cut = 0; cut <= text.length; cut++) {
      expect(split([text.slice(0, cut), text.slice(cut)])).toEqual({ values: JSON.parse(text) });
    }
    // Decimal precision as the server's parser keeps it.
    const splitter = new JsonBodySplitter(true);
    const values = [...splitter.push('[{"v":2.50}'), ...splitter.push(',1.0]'), ...splitter.end()].map((item) => item.value as any);
    expect(String(values[0].v)).toBe('2.50');
    expect(String(values[1])).toBe('1.0');
  });

  it('locates an error in a later element relative to the whole body', () => {
    const text = '[\n  {"a": 1},\n  {"a": 2},\n  {"a": 3,}\n]';
    expect(split(chunks(text, [0.3, 0.6]))).toEqual(whole(text));
    expect(whole(text)).toEqual({ error: { reason: 'Expected a property name in double quotes', line: 4, column: 11 } });
  });

  it('without the JSON content type, several values one per line are read as NDJSON', () => {
    const body = '{"a":1}\n{"a":2}\n\n{"a":3}';
    const payloads = [...splitBodySync(body, 'text/plain')];
    expect(payloads.map((p) => [p.index, p.line, (p.body as any).a])).toEqual([[0, 1, 1], [1, 2, 2], [2, 4, 3]]);
    expect(() => [...splitBodySync(body, 'application/json', undefined, { json: true })]).toThrow(/Unexpected content after the JSON value/);
  });

  it('splitBody over bytes cut anywhere (inside multi-byte characters too) gives what splitBodySync gives', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(jsonValue, { maxLength: 8 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 10 }), async (array, cuts) => {
        const bytes = Buffer.from(JSON.stringify(array));
        const at = [...new Set(cuts.map((cut) => Math.floor(cut * bytes.length)))].sort((a, b) => a - b);
        async function* pieces() {
          let from = 0;
          for (const to of [...at, bytes.length]) {
            yield bytes.subarray(from, to);
            from = to;
          }
        }
        const streamed = [];
        for await (const payload of splitBody(pieces(), 'application/json', undefined, { json: true })) streamed.push(payload);
        expect(streamed).toEqual([...splitBodySync(bytes, 'application/json')]);
      }),
      { numRuns: 200 },
    );
  });
});
