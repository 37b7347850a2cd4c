import type { Database } from '../store/database.ts';
import { BulkRows, type BulkColumn } from '../store/bulk-column.ts';
import { rowsSource } from '../store/bulk-insert.ts';
import type { OutboxEvent } from '../store/outbox.ts';
import { SHARED_SUBJECT } from './anchor-window.ts';
import type { KeySubjects } from './key-subject.ts';
import type { Sealer } from './sealer.ts';
import type { VersionToHash } from './sealer-protocol.ts';
import { isWindowProvenanceId } from './window-provenance.ts';

/** Leaf rows travel as the write path's rows do (store/bulk-insert.ts). */
const LEAF_COLUMNS: BulkColumn[] = (
  [['seq', 'int8'], ['rid', 'int8'], ['version', 'int4'], ['type', 'text'], ['id', 'text'], ['salt', 'bytea'], ['leaf', 'bytea'], ['subject', 'text'], ['generated', 'bool'], ['committed', 'timestamptz']] as const
).map(([name, type]) => ({ name, type }));

interface VersionRow {
  seq: number;
  rid: number;
  type: string;
  id: string;
  version: number;
  /** The outbox event's ISO instant, or the stored version's time as read. */
  last_updated: string | Date;
}

/**
 * The outbox consumer's whole job: one leaf per committed content version, salted with fresh
 * random bytes by the sealer thread (never in the write path), numbered densely in outbox order,
 * in one statement. The sealer hashes the content it was handed at commit; a batch it does not
 * hold whole (another process wrote it, or a restart came between) is read from the database and
 * handed over with its content. Deletions carry no stored bytes and get no leaf. At-least-once
 * delivery is harmless: a version that already has a leaf keeps its first salt and number.
 * Returns how many leaves were added.
 */
export async function recordLeaves(db: Database, subjects: KeySubjects, events: readonly OutboxEvent[], sealer: Sealer): Promise<number> {
  let rows: VersionRow[] = events.filter((event) => event.action !== 'delete').map((e) => ({ seq: e.seq, rid: e.rid, type: e.type, id: e.id, version: e.version, last_updated: e.lastUpdated }));
  if (rows.length === 0) return 0;
  let hashed = await sealer.hash(rows.map(toHash));
  if (hashed === 'missing') {
    const stored = await storedVersions(db, events);
    rows = stored;
    if (rows.length === 0) return 0;
    hashed = await sealer.hash(
      rows.map(toHash),
      stored.map((row) => ({ json: row.content, subject: subjectOf(subjects, row) })),
    );
    if (hashed === 'missing') throw new Error('the sealer lost versions it was given');
  }
  const { salts, leaves, subjects: patients, batch } = hashed;
  let inserted: { added: number; first: number } | undefined;
  try {
    inserted = await insertLeaves(db, rows, salts, leaves, patients);
  } finally {
    // Numbered only when every row was added (row i is then leaf first + i): a redelivered batch
    // with some leaves already recorded, or a failed insert (retried), is read back for its window.
    sealer.numbered(batch, inserted?.added === rows.length ? inserted.first : undefined);
  }
  return inserted.added;
}

/** Inserts the batch's leaf rows: how many were added, and the first leaf number they got. */
async function insertLeaves(db: Database, rows: VersionRow[], salts: Uint8Array, leaves: Uint8Array, patients: string[]): Promise<{ added: number; first: number }> {
  const leafRows = rows.map((row, i) => [
    row.seq, row.rid, row.version, row.type, row.id, salts.subarray(i * 32, (i + 1) * 32), leaves.subarray(i * 32, (i + 1) * 32), patients[i], isGenerated(row), row.last_updated,
  ]);
  const source = rowsSource(db, 1, LEAF_COLUMNS, new BulkRows(leafRows));
  // Leaf numbers continue densely in seq order over the rows actually added, so when every row
  // is added (the usual case) row i is leaf first + i: only two numbers come back, not a row per leaf.
  const { rows: [added] } = await db.query<{ added: string | number; first: string | number | null }>(
    `WITH added AS (
       INSERT INTO provenance_leaf (leaf_no, seq, rid, version, type, id, salt, leaf, subject, generated, committed_at)
       SELECT base.n + row_number() OVER (ORDER BY u.seq), u.seq, u.rid, u.version, u.type, u.id, u.salt, u.leaf, u.subject, u.generated, u.committed
         FROM (${source.sql}) AS u,
              (SELECT coalesce(max(leaf_no), 0) AS n FROM provenance_leaf) AS base
        WHERE NOT EXISTS (SELECT 1 FROM provenance_leaf p WHERE p.rid = u.rid AND p.version = u.version)
          -- A version erased since it was read above gets no leaf (and so keeps nothing of it here).
          AND EXISTS (SELECT 1 FROM resource_version v WHERE v.rid = u.rid AND v.version = u.version)
       RETURNING leaf_no)
     SELECT count(*) AS added, min(leaf_no) AS first FROM added`,
    source.params,
  );
  return { added: Number(added.added), first: Number(added.first) };
}

function isGenerated(row: { type: string; id: string }): boolean {
  return row.type === 'Provenance' && isWindowProvenanceId(row.id);
}

function toHash(row: VersionRow): VersionToHash {
  return { rid: row.rid, version: row.version, type: row.type, id: row.id, generated: isGenerated(row) };
}

/**
 * The exact bytes the write path stored: resource_version.content, nothing re-serialised. A batch
 * is a contiguous run of the outbox (commit order), read by its seq range through primary keys.
 */
async function storedVersions(db: Database, events: readonly OutboxEvent[]): Promise<Array<VersionRow & { content: string }>> {
  const { rows } = await db.query<VersionRow & { content: string }>(
    `SELECT o.seq, o.rid, o.type, o.id, o.version, v.content, v.last_updated
       FROM outbox o JOIN resource_version v ON v.rid = o.rid AND v.version = o.version
      WHERE o.seq BETWEEN $1 AND $2 AND o.action <> 'delete' AND v.content IS NOT NULL
      ORDER BY o.seq`,
    [events[0].seq, events[events.length - 1].seq],
  );
  return rows.map((row) => ({ ...row, seq: Number(row.seq), rid: Number(row.rid) }));
}

function subjectOf(subjects: KeySubjects, row: VersionRow & { content: string }): string {
  if (isGenerated(row)) return SHARED_SUBJECT;
  try {
    return subjects.of(row.type, row.id, JSON.parse(row.content) as Record<string, unknown>);
  } catch {
    // Stored JSON always parses; should it not, the version still gets its leaf, under the shared key.
    return SHARED_SUBJECT;
  }
}
