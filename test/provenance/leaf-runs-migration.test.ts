import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { describeMigration } from '../helpers/database-before.ts';

interface OldLeaf {
  leaf_no: number;
  rid: number | null;
  version: number | null;
  salt: Buffer | null;
  leaf: Buffer;
  subject: string | null;
  generated: boolean;
  committed_at: string;
  erased: boolean;
}

/**
 * Migration 100 turns the leaf rows of an existing database into leaf runs: every leaf keeps its
 * number, version, salt, leaf, key subject, generated flag and commit time, erased leaves stay
 * bare, and a number missing from the old table (a hand edit) does not shift the ones after it.
 */
describeMigration(100, 'leaf rows migrated to leaf runs', 'keeps every leaf as it was', async (database) => {
  const { db } = database;

  // 2,503 leaves (more than two runs of 1,000), number 1,500 missing, some erased, one generated.
  const old: OldLeaf[] = [];
  for (let n = 1; n <= 2_504; n++) {
    if (n === 1_500) continue;
    const erased = n % 97 === 0;
    old.push({
      leaf_no: n,
      rid: erased ? null : 10_000 + n,
      version: erased ? null : 1 + (n % 3),
      salt: erased ? null : randomBytes(32),
      leaf: randomBytes(32),
      subject: erased ? null : n % 5 === 0 ? '#shared' : `Patient/p${n % 7}`,
      generated: n === 1_234,
      committed_at: new Date(Date.UTC(2026, 0, 1) + n * 1_000).toISOString(),
      erased,
    });
  }
  // Outbox rows for most versions, so runs get their outbox range from them.
  await db.query(
    `INSERT INTO outbox (seq, commit_id, rid, type, id, version, action, last_updated)
     SELECT s, s, r, 'Observation', 'o' || r, v, 'create', now() FROM unnest($1::int8[], $2::int8[], $3::int4[]) AS u(s, r, v)`,
    [old.filter((l) => l.rid !== null).map((l) => l.leaf_no), old.filter((l) => l.rid !== null).map((l) => l.rid), old.filter((l) => l.rid !== null).map((l) => l.version)],
  );
  for (const leaf of old) {
    await db.query(
      `INSERT INTO provenance_leaf (leaf_no, rid, version, salt, leaf, subject, generated, committed_at, erased) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [leaf.leaf_no, leaf.rid, leaf.version, leaf.salt, leaf.leaf, leaf.subject, leaf.generated, leaf.committed_at, leaf.erased],
    );
  }
  await db.query(`INSERT INTO outbox_cursor (consumer, seq) VALUES ('provenance', 2504)`);

  expect(await database.migrateRest()).toContain('100-leaf-runs');

  const { rows } = await db.query<any>('SELECT leaf_no, rid, version, salt, leaf, subject, generated, committed_at, erased FROM provenance_leaf ORDER BY leaf_no');
  const migrated = rows.map((row) => ({
    leaf_no: Number(row.leaf_no),
    rid: row.rid === null ? null : Number(row.rid),
    version: row.version,
    salt: row.salt === null ? null : Buffer.from(row.salt),
    leaf: Buffer.from(row.leaf),
    subject: row.subject,
    generated: row.generated,
    committed_at: new Date(row.committed_at).toISOString(),
    erased: row.erased,
  }));
  expect(migrated).toEqual(old);
  const { rows: runs } = await db.query<{ first_leaf: string; leaf_count: number; first_seq: string; last_seq: string }>(
    'SELECT first_leaf, leaf_count, first_seq, last_seq FROM provenance_leaf_run ORDER BY first_leaf',
  );
  expect(runs.map((r) => [Number(r.first_leaf), r.leaf_count])).toEqual([
    [1, 1_000],
    [1_001, 499],
    [1_501, 1_000],
    [2_501, 4],
  ]);
  // Each run's outbox range covers its versions.
  expect(runs.map((r) => [Number(r.first_seq), Number(r.last_seq)])).toEqual([
    [1, 1_000],
    [1_001, 1_499],
    [1_501, 2_500],
    [2_501, 2_504],
  ]);
});
