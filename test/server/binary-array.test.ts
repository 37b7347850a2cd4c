import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BinaryArrayBuilder, binaryArray as encode } from '../../server/store/binary-array.ts';
import { BulkRows, type ColumnType } from '../../server/store/bulk-column.ts';

const binaryArray = (type: ColumnType, values: unknown[]) => encode(type, new BulkRows(values.map((value) => [value])), 0);
import { ADMIN_URL, postgresAvailable } from '../helpers/postgres.ts';

/**
 * Bulk rows reach PostgreSQL as binary arrays (server/store/binary-array.ts). Each case sends the
 * same values twice — as a binary array, and as text PostgreSQL parses itself — and expects
 * identical values back, so any disagreement with the server's own reading is a failure.
 */
const available = await postgresAvailable();

describe.skipIf(!available)('binary array parameters (PostgreSQL)', () => {
  let client: pg.Client;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: ADMIN_URL });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
  });

  async function both(type: string, binary: Buffer, texts: Array<string | null>): Promise<{ ours: Array<string | null>; theirs: Array<string | null> }> {
    const { rows } = await client.query(
      `SELECT a::text AS ours, b::text AS theirs FROM unnest($1::${type}[], $2::text[]::${type}[]) AS u(a, b)`,
      [binary, texts],
    );
    return { ours: rows.map((r) => r.ours), theirs: rows.map((r) => r.theirs) };
  }

  it('numeric: precision as written, exponents, signs, zeros and the open-range bounds', async () => {
    const values = ['0', '0.0', '-0.00', '1', '69', '98.6', '1.50', '-1.50', '12345678.87654321', '0.0001234', '100000', '1e300', '-1e300',
      '1.50e1', '6.02E23', '1e-7', '123456789012345678901234567890.123456789', '.5', '5.', '0.833333333333', '+3.25'];
    const { ours, theirs } = await both('numeric', binaryArray('numeric', values), values);
    expect(ours).toEqual(theirs);
  });

  it('numeric: any decimal text fast-check generates', async () => {
    const decimal = fc
      .tuple(fc.constantFrom('', '-', '+'), fc.stringMatching(/^\d{1,25}$/), fc.option(fc.stringMatching(/^\d{0,20}$/)), fc.option(fc.integer({ min: -40, max: 40 })))
      .map(([sign, int, frac, exp]) => `${sign}${int}${frac === null ? '' : `.${frac}`}${exp === null ? '' : `e${exp}`}`);
    await fc.assert(
      fc.asyncProperty(fc.array(decimal, { minLength: 1, maxLength: 50 }), async (values) => {
        const { ours, theirs } = await both('numeric', binaryArray('numeric', values), values);
        expect(ours).toEqual(theirs);
      }),
      { numRuns: 60 },
    );
  });

  it('text, int8, int4, bool, bytea and timestamptz with NULLs', async () => {
    const texts = ['', 'plain', '{"a":"quote \\" and \\\\ backslash"}', 'tab\tnew\nline', 'ünïcödé ✓ 𝄞', null, 'x'.repeat(70_000)];
    expect((await both('text', binaryArray('text', texts), texts)).ours).toEqual(texts);
    // Multi-byte text longer than its ASCII estimate, before and after short ASCII values.
    const wide = ['é'.repeat(5_000), 'a', '𝄞'.repeat(100), 'short', 'ü'.repeat(63), 'z'.repeat(63), ...Array.from({ length: 200 }, (_, i) => `v${i}`)];
    expect((await both('text', binaryArray('text', wide), wide)).ours).toEqual(wide);

    const ints = [0, 1, -1, 2 ** 40, Number.MAX_SAFE_INTEGER, null];
    const intTexts = ints.map((v) => (v === null ? null : String(v)));
    expect((await both('int8', binaryArray('int8', ints), intTexts)).ours).toEqual(intTexts);
    const small = [0, 7, -2147483648, 2147483647, null];
    expect((await both('int4', binaryArray('int4', small), small.map((v) => (v === null ? null : String(v))))).ours).toEqual(small.map((v) => (v === null ? null : String(v))));
    const bools = [true, false, null];
    const { ours: boolsBack, theirs: boolsTheirs } = await both('bool', binaryArray('bool', bools), ['true', 'false', null]);
    expect(boolsBack).toEqual(boolsTheirs);

    const bytes = [Buffer.from('00ff10', 'hex'), 'abcdef', Buffer.alloc(0), null];
    const { ours: bytesBack } = await both('bytea', binaryArray('bytea', bytes), ['\\x00ff10', '\\xabcdef', '\\x', null]);
    expect(bytesBack).toEqual(['\\x00ff10', '\\xabcdef', '\\x', null]);

    await client.query(`SET TIME ZONE 'UTC'`);
    const instants = ['2025-01-01T00:00:00.001Z', '1999-12-31T23:59:59.999Z', '0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z', 'infinity', '-infinity', null];
    const { ours: when, theirs: whenTheirs } = await both('timestamptz', binaryArray('timestamptz', instants), instants);
    expect(when).toEqual(whenTheirs);
    const ms = [Date.UTC(2024, 1, 29, 12, 30), Infinity, -Infinity];
    expect((await both('timestamptz', binaryArray('timestamptz', ms), ['2024-02-29T12:30:00Z', 'infinity', '-infinity'])).ours).toEqual(['2024-02-29 12:30:00+00', 'infinity', '-infinity']);
  });

  it('refuses what is not a decimal or an instant instead of sending garbage', () => {
    expect(() => binaryArray('numeric', ['12a'])).toThrow(RangeError);
    expect(() => binaryArray('numeric', [Number.NaN])).toThrow(RangeError);
    expect(() => binaryArray('timestamptz', ['yesterday'])).toThrow(RangeError);
  });
});

describe('binary arrays built element by element', () => {
  const built = (type: ColumnType, values: unknown[], sizeHint?: number) => {
    const builder = new BinaryArrayBuilder(type, sizeHint);
    for (const value of values) builder.add(value);
    return builder.finish();
  };

  it('are byte for byte the arrays encoded from whole columns, through every buffer growth', () => {
    const cases: Array<[ColumnType, unknown[]]> = [
      ['text', ['', 'plain', 'ünïcödé ✓ 𝄞', null, 'x'.repeat(70_000), 'é'.repeat(5_000), 'a', ...Array.from({ length: 300 }, (_, i) => `v${i}`)]],
      ['numeric', ['0', '-0.00', '98.6', '1.50', '1e300', '123456789012345678901234567890.123456789', null, 0.833333333333, 119]],
      ['int8', [0, -1, 2 ** 40, Number.MAX_SAFE_INTEGER, null, ...Array.from({ length: 500 }, (_, i) => i * 7919)]],
      ['int4', [0, 7, -2147483648, 2147483647, null]],
      ['bool', [true, false, null, true]],
      ['bytea', [Buffer.from('00ff10', 'hex'), 'abcdef', Buffer.alloc(0), null, Buffer.alloc(9_000, 7)]],
      ['timestamptz', ['2025-01-01T00:00:00.001Z', Date.UTC(2024, 1, 29), Infinity, -Infinity, 'infinity', null]],
    ];
    for (const [type, values] of cases) {
      const whole = binaryArray(type, values);
      expect(built(type, values, 1).equals(whole), `${type}, starting from one byte`).toBe(true);
      expect(built(type, values).equals(whole), `${type}, default start`).toBe(true);
    }
  });

  it('finish() can be called again after more elements, and an empty builder is an empty array', () => {
    const builder = new BinaryArrayBuilder('text', 1);
    expect(builder.finish().equals(binaryArray('text', []))).toBe(true);
    builder.add('first');
    expect(builder.finish().equals(binaryArray('text', ['first']))).toBe(true);
    builder.add(null);
    builder.add('𝄞'.repeat(40));
    expect(builder.finish().equals(binaryArray('text', ['first', null, '𝄞'.repeat(40)]))).toBe(true);
    expect(builder.length).toBe(3);
  });
});
