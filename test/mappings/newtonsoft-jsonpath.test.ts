import { describe, expect, it } from 'vitest';
import { compileJsonPath, JsonPathError } from '../../mappings/medtech/newtonsoft-jsonpath.ts';
import { parseJson } from '../../server/fhir/json/index.ts';

const select = (expression: string, data: unknown) => compileJsonPath(expression).selectTokens(data);

const envelope = { Body: { heartrate: '203', steps: 0, flag: false, empty: '' }, Properties: {}, SystemProperties: { 'iothub-connection-device-id': 'dev-1' } };

describe('Newtonsoft JSONPath dialect (reference note §2)', () => {
  it('reads @name as @.name, where jsonpath-plus fails to parse', () => {
    expect(select('$..[?(@heartrate)]', envelope)).toEqual([envelope.Body]);
    expect(select('$..[?(@.heartrate)]', envelope)).toEqual([envelope.Body]);
  });

  it('includes the root in $..[?()] so IotJsonPath filters on @Body match the whole message', () => {
    expect(select('$..[?(@Body.heartrate)]', envelope)).toEqual([envelope]);
    expect(select('$..[?(@.Body.heartrate)]', envelope)).toEqual([envelope]);
  });

  it('tests existence, not truthiness: steps 0, false and "" exist', () => {
    expect(select('$..[?(@.steps)]', envelope)).toEqual([envelope.Body]);
    expect(select('$..[?(@.flag)]', envelope)).toEqual([envelope.Body]);
    expect(select('$..[?(@.empty)]', envelope)).toEqual([envelope.Body]);
    expect(select('$..[?(@.missing)]', envelope)).toEqual([]);
  });

  it('combines conditions with && and ||, && binding tighter', () => {
    const data = { a: [{ s: 1, d: 2 }, { s: 1 }, { x: 1 }] };
    expect(select('$..[?(@.s && @.d)]', data)).toEqual([{ s: 1, d: 2 }]);
    expect(select('$.a[?(@.x || @.s && @.d)]', data)).toEqual([{ s: 1, d: 2 }, { x: 1 }]);
    expect(select('$.a[?((@.x || @.s) && @.d)]', data)).toEqual([{ s: 1, d: 2 }]);
  });

  it('compares like Newtonsoft: numbers numerically, strings ordinally, no string/number equality', () => {
    const data = { list: [{ unit: 'inches', v: 78 }, { unit: 'meters', v: '1.9304' }, { unit: 'Inches', v: 100 }] };
    expect(select("$..[?(@unit == 'inches')]", data)).toEqual([data.list[0]]);
    expect(select('$.list[?(@.v > 80)]', data)).toEqual([data.list[2]]);
    expect(select('$.list[?(@.v == 78)]', data)).toEqual([data.list[0]]);
    expect(select("$.list[?(@.v == '78')]", data)).toEqual([]);
    expect(select('$.list[?(@.unit =~ /^in/i)]', data)).toEqual([data.list[0], data.list[2]]);
    expect(select("$.list[?(@.unit != 'meters')]", data)).toEqual([data.list[0], data.list[2]]);
  });

  it('compares decimals kept with their precision (FhirDecimal) as numbers', () => {
    const data = parseJson('{"list":[{"t":36.60},{"t":38.10}]}');
    expect(select('$.list[?(@.t > 37)]', data)).toEqual([(data as any).list[1]]);
  });

  it('filters only array elements with [?()]: object children are properties, which never match', () => {
    expect(select('$.Body[?(@.heartrate)]', envelope)).toEqual([]);
    expect(select('$[?(@.heartrate)]', { arr: [{ heartrate: 1 }] })).toEqual([]);
    expect(select('$.arr[?(@.heartrate)]', { arr: [{ heartrate: 1 }] })).toEqual([{ heartrate: 1 }]);
  });

  it('walks recursive descent in document order (pre-order, depth first)', () => {
    const data = { a: { hr: 1, b: { hr: 2 } }, c: [{ hr: 3 }, { d: { hr: 4 } }], hr: 5 };
    expect(select('$..hr', data)).toEqual([1, 2, 3, 4, 5]);
    // ..* starts with the token itself (ScanFilter with no name yields it first).
    expect(select('$..*', { a: { b: 1 }, c: [2] })).toEqual([{ a: { b: 1 }, c: [2] }, { b: 1 }, 1, [2], 2]);
    expect(select('$..[?(@.hr)]', data)).toEqual([data, data.a, data.a.b, data.c[0], data.c[1].d]);
  });

  it('keeps wildcard order: object members in document order, array elements by index', () => {
    const data = parseJson('{"z":1,"a":2,"m":[3,4]}');
    expect(select('$.*', data)).toEqual([1, 2, [3, 4]]);
    expect(select('$.m[*]', data)).toEqual([3, 4]);
    // `.*` on an array yields nothing (FieldFilter only reads objects).
    expect(select('$.m.*', data)).toEqual([]);
  });

  it('supports indexes, unions, slices and quoted names', () => {
    const data = { 'a b': { 'iothub-creation-time-utc': 't' }, list: [0, 1, 2, 3, 4, 5] };
    expect(select("$['a b']['iothub-creation-time-utc']", data)).toEqual(['t']);
    expect(select('$.list[1]', data)).toEqual([1]);
    expect(select('$.list[-1]', data)).toEqual([5]);
    expect(select('$.list[0,2]', data)).toEqual([0, 2]);
    expect(select('$.list[1:4]', data)).toEqual([1, 2, 3]);
    expect(select('$.list[::2]', data)).toEqual([0, 2, 4]);
    expect(select('$.list[-2:]', data)).toEqual([4, 5]);
    expect(select('$.SystemProperties.iothub-connection-device-id', envelope)).toEqual(['dev-1']);
    expect(select('Body.heartrate', envelope)).toEqual(['203']);
  });

  it('returns one token for SelectToken and fails on several', () => {
    const path = compileJsonPath('$..hr');
    expect(path.selectToken({ a: { hr: 1 } })).toBe(1);
    expect(path.selectToken({ a: {} })).toBeUndefined();
    expect(() => path.selectToken({ a: { hr: 1 }, b: { hr: 2 } })).toThrow('Path returned multiple tokens.');
  });

  it('reports syntax errors with their position', () => {
    for (const bad of ['$..[?(@.a', '$.a[', "$['a", '$.list[1:2:0]', '$x', '$..[?(@.a == )]']) {
      expect(() => compileJsonPath(bad), bad).toThrow(JsonPathError);
    }
  });
});
