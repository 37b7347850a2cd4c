import { describe, expect, it } from 'vitest';
import { copyText } from '../../server/store/copy-text.ts';
import { PgliteDatabase } from '../../server/store/pglite-database.ts';
import { tempDir } from '../helpers/test-server.ts';

describe('bulk rows through COPY (PGlite)', () => {
  it('escapes what COPY text format would read as structure', () => {
    expect(copyText([[1, 'a\tb', null, true], [2, 'c\\nd\n', 'x\r', false]])).toBe('1\ta\\tb\t\\N\tt\n2\tc\\\\nd\\n\tx\\r\tf\n');
  });

  it('stores every string exactly as given, inside a transaction too', async () => {
    const db = await PgliteDatabase.open(tempDir('copy'));
    try {
      await db.exec('CREATE TABLE copied (n int8, t text, d timestamptz, q numeric)');
      const tricky = ['{"a":"quote \\" and backslash \\\\ and \\n escaped"}', 'tab\there', 'line\nbreak\r\n', '\\N', 'ünïcödé ✓ 𝄞', '', ' leading and trailing '];
      const rows = tricky.map((t, i) => [i, t, i === 0 ? '-infinity' : '2025-01-01T00:00:00.001Z', i === 1 ? null : '0.833333333333']);
      await db.transaction(async (tx) => {
        await tx.copyRows!('copied', ['n', 't', 'd', 'q'], rows);
      });
      await db.copyRows('copied', ['n', 't'], [[99, null]]);
      const { rows: back } = await db.query<{ n: number; t: string | null; d: string | null; q: string | null }>('SELECT n, t, d::text AS d, q::text AS q FROM copied ORDER BY n');
      expect(back.map((r) => r.t)).toEqual([...tricky, null]);
      expect(back[0].d).toBe('-infinity');
      expect(back[2].d).toBe('2025-01-01 00:00:00.001+00');
      expect(back[1].q).toBeNull();
      expect(back[2].q).toBe('0.833333333333');
    } finally {
      await db.close();
    }
  });
});
