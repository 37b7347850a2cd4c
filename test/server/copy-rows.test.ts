import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BulkRows, type BulkColumn } from '../../server/store/bulk-column.ts';
import { copyText } from '../../server/store/copy-text.ts';
import { PgliteDatabase } from '../../server/store/pglite-database.ts';
import { tempDir } from '../helpers/test-server.ts';

describe('bulk rows through COPY (PGlite)', () => {
  it('escapes what COPY text format would read as structure', () => {
    const columns: BulkColumn[] = [{ name: 'n', type: 'int8' }, { name: 't', type: 'text' }, { name: 'u', type: 'text' }, { name: 'b', type: 'bool' }, { name: 'd', type: 'timestamptz' }];
    expect(copyText(columns, new BulkRows([[1, 'a\tb', null, true, Date.UTC(2025, 0, 1)], [2, 'c\\nd\n', 'x\r', false, -Infinity]]))).toBe(
      '1\ta\\tb\t\\N\tt\t2025-01-01T00:00:00.000Z\n2\tc\\\\nd\\n\tx\\r\tf\t-infinity\n',
    );
  });

  it('stores every string exactly as given, inside a transaction too', async () => {
    const dir = tempDir('copy');
    const db = await PgliteDatabase.open(dir);
    try {
      await db.exec('CREATE TABLE copied (n int8, t text, d timestamptz, q numeric)');
      const tricky = ['{"a":"quote \\" and backslash \\\\ and \\n escaped"}', 'tab\there', 'line\nbreak\r\n', '\\N', 'ünïcödé ✓ 𝄞', '', ' leading and trailing '];
      const columns: BulkColumn[] = [{ name: 'n', type: 'int8' }, { name: 't', type: 'text' }, { name: 'd', type: 'timestamptz' }, { name: 'q', type: 'numeric' }];
      const rows = new BulkRows(tricky.map((t, i) => [t, i === 0 ? -Infinity : Date.UTC(2025, 0, 1, 0, 0, 0, 1), i === 1 ? null : '0.833333333333']), tricky.map((t, i) => i));
      await db.transaction(async (tx) => {
        await tx.copyRows!('copied', columns, rows);
      });
      await db.copyRows('copied', columns.slice(0, 2), new BulkRows([[99, null]]));
      const { rows: back } = await db.query<{ n: number; t: string | null; d: string | null; q: string | null }>('SELECT n, t, d::text AS d, q::text AS q FROM copied ORDER BY n');
      expect(back.map((r) => r.t)).toEqual([...tricky, null]);
      expect(back[0].d).toBe('-infinity');
      expect(back[2].d).toBe('2025-01-01 00:00:00.001+00');
      expect(back[1].q).toBeNull();
      expect(back[2].q).toBe('0.833333333333');
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
