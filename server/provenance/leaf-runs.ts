import type { Queryable } from '../store/database.ts';

/**
 * How leaves are kept: a row per recorded batch, a run of consecutive leaf numbers with one array
 * element per leaf (migration 100-leaf-runs.sql says why and what each column holds). Readers
 * that need a few leaves find their run through an index and unnest it; readers of whole windows
 * read the runs and cut salts and leaves in process, since a substring per leaf of an out-of-line
 * value fetches it again for every leaf.
 */

/** The run of a version (GiST on rid_span), unnested: SQL over parameters `rid` and `version`. */
export function runOfVersionSql(rid: string, version: string): string {
  return `SELECT r.first_leaf + u.i - 1 AS leaf_no, r.first_leaf, u.i AS position, r.subjects[u.s] AS subject
       FROM provenance_leaf_run r
      CROSS JOIN LATERAL unnest(r.rids, r.versions, r.subject_at) WITH ORDINALITY AS u(rid, version, s, i)
      WHERE r.rid_span @> ${rid}::int8 AND u.rid = ${rid}::int8 AND u.version = ${version}::int4`;
}

/** Runs holding any of the leaves lo..hi (SQL expressions), through the GiST index on their leaf range. */
export function runsOverlapping(lo: string, hi: string, alias = 'r'): string {
  return `int8range(${alias}.first_leaf, ${alias}.first_leaf + ${alias}.leaf_count) && int8range(${lo}, ${hi}, '[]')`;
}

/**
 * The leaves lo..hi as rows (leaf_no, rid, version, subject, generated, committed_ms, erased),
 * without salt and leaf bytes (leafBytes has them).
 */
export function leavesBetweenSql(lo: string, hi: string): string {
  return `SELECT r.first_leaf + u.i - 1 AS leaf_no, u.rid, u.version, r.subjects[u.s] AS subject, u.i = ANY (r.generated) AS generated,
            u.committed AS committed_ms, u.rid IS NULL AS erased
       FROM provenance_leaf_run r
      CROSS JOIN LATERAL unnest(r.rids, r.versions, r.subject_at, r.committed_ms) WITH ORDINALITY AS u(rid, version, s, committed, i)
      WHERE ${runsOverlapping(lo, hi)} AND r.first_leaf + u.i - 1 BETWEEN ${lo} AND ${hi}`;
}

/**
 * The commit times (Unix ms) of the leaves lo..hi, a row each (committed_ms): the slice of each
 * run's array only. Through leavesBetweenSql a window's summary unnested four arrays per leaf and
 * looked each leaf up in `generated`: ~2.3 µs of PGlite time per reading, ~1.1 as slices
 * (scratch measurement, 100,000 readings of device ingestion).
 */
export function committedBetweenSql(lo: string, hi: string): string {
  return `SELECT c AS committed_ms
       FROM provenance_leaf_run r
      CROSS JOIN LATERAL unnest(r.committed_ms[greatest(${lo} - r.first_leaf + 1, 1)::int4 : least(${hi} - r.first_leaf + 1, r.leaf_count)::int4]) AS c
      WHERE ${runsOverlapping(lo, hi)}`;
}

/** The highest leaf number recorded (0 for none): SQL. */
export const LEAF_HEAD_SQL = `coalesce((SELECT first_leaf + leaf_count - 1 FROM provenance_leaf_run ORDER BY first_leaf DESC LIMIT 1), 0)`;

export interface RunBytes {
  firstLeaf: number;
  leafCount: number;
  salts: Buffer;
  leaves: Buffer;
}

/** Salts and leaves of the runs holding leaves first..last. */
export async function runBytes(db: Queryable, first: number, last: number): Promise<RunBytes[]> {
  const { rows } = await db.query<{ first_leaf: string | number; leaf_count: number; salts: Uint8Array; leaves: Uint8Array }>(
    `SELECT first_leaf, leaf_count, salts, leaves FROM provenance_leaf_run r WHERE ${runsOverlapping('$1::int8', '$2::int8')} ORDER BY first_leaf`,
    [first, last],
  );
  return rows.map((row) => ({ firstLeaf: Number(row.first_leaf), leafCount: row.leaf_count, salts: asBuffer(row.salts), leaves: asBuffer(row.leaves) }));
}

/** Salt and leaf of leaf `leafNo` among `runs`, or undefined when no run holds it. */
export function leafBytes(runs: readonly RunBytes[], leafNo: number): { salt: Buffer; leaf: Buffer } | undefined {
  for (const run of runs) {
    const at = leafNo - run.firstLeaf;
    if (at < 0 || at >= run.leafCount) continue;
    return { salt: run.salts.subarray(at * 32, at * 32 + 32), leaf: run.leaves.subarray(at * 32, at * 32 + 32) };
  }
  return undefined;
}

/** Bytes from PGlite or the sealer thread arrive as plain Uint8Arrays; drivers bind Buffers as bytea. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
