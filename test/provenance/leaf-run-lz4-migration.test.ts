import { expect } from 'vitest';
import { describeMigration } from '../helpers/database-before.ts';

/**
 * Migration 120 compresses the arrays of leaf runs and window bundles with lz4 where the server
 * has it (PostgreSQL) and changes nothing elsewhere (PGlite): a run written before reads back
 * whole, and a run written after (large enough to be compressed) reads back whole too.
 */
describeMigration(120, 'leaf-run arrays compressed with lz4', 'keeps every run and compresses new ones with lz4 where it can', async (database) => {
  const { db } = database;
  const run = (first: number, count: number) => ({
    first,
    rids: Array.from({ length: count }, (_, i) => 1000 + first + i * 3),
    times: Array.from({ length: count }, (_, i) => 1_765_000_000_000 + i * 7),
  });
  const insert = (r: ReturnType<typeof run>) =>
    db.query(
      `INSERT INTO provenance_leaf_run (first_leaf, leaf_count, first_seq, last_seq, rids, versions, rid_span, salts, leaves, subjects, subject_at, committed_ms)
       VALUES ($1::int8, $2::int4, $1::int8, $1::int8 + $2::int4 - 1, $3::int8[], array_fill(1, ARRAY[$2::int4]), int8multirange(int8range($1::int8, $1::int8 + 1)), decode(repeat('00', 32 * $2::int4), 'hex'), decode(repeat('11', 32 * $2::int4), 'hex'), ARRAY['Patient/p'], array_fill(1, ARRAY[$2::int4]), $4::int8[])`,
      [r.first, r.rids.length, r.rids, r.times],
    );
  const before = run(1, 2000);
  await insert(before);

  expect(await database.migrateRest()).toContain('120-leaf-run-lz4');

  const after = run(2001, 2000);
  await insert(after);
  for (const r of [before, after]) {
    const { rows } = await db.query<{ rids: Array<string | number>; committed_ms: Array<string | number> }>('SELECT rids, committed_ms FROM provenance_leaf_run WHERE first_leaf = $1', [r.first]);
    expect(rows[0]!.rids.map(Number)).toEqual(r.rids);
    expect(rows[0]!.committed_ms.map(Number)).toEqual(r.times);
  }
  const { rows: methods } = await db.query<{ relname: string; attname: string; method: string }>(
    `SELECT c.relname, a.attname, a.attcompression::text AS method FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      WHERE c.relname IN ('provenance_leaf_run', 'provenance_window_bundle') AND a.attname IN ('rids', 'versions', 'subjects', 'subject_at', 'generated', 'committed_ms', 'cids') ORDER BY 1, 2`,
  );
  const lz4 = (await db.query<{ ok: boolean }>(`SELECT EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)) AS ok`)).rows[0]!.ok;
  expect(methods).toHaveLength(8);
  for (const m of methods) expect({ column: `${m.relname}.${m.attname}`, method: m.method }).toEqual({ column: `${m.relname}.${m.attname}`, method: lz4 ? 'l' : '' });
  if (lz4) {
    const { rows } = await db.query<{ method: string | null }>('SELECT pg_column_compression(committed_ms) AS method FROM provenance_leaf_run WHERE first_leaf = $1', [after.first]);
    expect(rows[0]!.method).toBe('lz4');
  }
});
