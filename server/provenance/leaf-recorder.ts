import { randomBytes } from 'node:crypto';
import type { Database } from '../store/database.ts';
import { BulkRows, type BulkColumn } from '../store/bulk-column.ts';
import { rowsSource } from '../store/bulk-insert.ts';
import type { OutboxEvent } from '../store/outbox.ts';
import { SHARED_SUBJECT } from './anchor-window.ts';
import type { CommittedContent } from './committed-content.ts';
import type { KeySubjects } from './key-subject.ts';
import { SALT_BYTES, leafHash } from './leaf.ts';
import type { RecentLeaves } from './recent-leaves.ts';
import { isWindowProvenanceId } from './window-provenance.ts';

/** Leaf rows travel as the write path's rows do (store/bulk-insert.ts). */
const LEAF_COLUMNS: BulkColumn[] = (
  [['seq', 'int8'], ['rid', 'int8'], ['version', 'int4'], ['type', 'text'], ['id', 'text'], ['salt', 'bytea'], ['leaf', 'bytea'], ['subject', 'text'], ['generated', 'bool'], ['committed', 'timestamptz']] as const
).map(([name, type]) => ({ name, type }));

interface VersionRow {
  seq: string | number;
  rid: string | number;
  type: string;
  id: string;
  version: number;
  content: string;
  /** The outbox event's ISO instant, or the stored version's time as read. */
  last_updated: string | Date;
}

/**
 * The outbox consumer's whole job: one leaf per committed content version, salted with fresh
 * random bytes here (never in the write path), numbered densely in outbox order, in one statement.
 * Deletions carry no stored bytes and get no leaf. At-least-once delivery is harmless: a version
 * that already has a leaf keeps its first salt and number. Returns how many leaves were added.
 */
export async function recordLeaves(
  db: Database,
  subjects: KeySubjects,
  events: readonly OutboxEvent[],
  recent?: RecentLeaves,
  committed?: CommittedContent,
): Promise<number> {
  if (!events.some((event) => event.action !== 'delete')) return 0;
  const rows = handedOver(events, committed) ?? (await storedVersions(db, events));
  if (rows.length === 0) return 0;
  const salts = randomBytes(SALT_BYTES * rows.length);
  const bytes = rows.map((row) => Buffer.from(row.content));
  const saltOf = (i: number) => salts.subarray(i * SALT_BYTES, (i + 1) * SALT_BYTES);
  const leaves = rows.map((row, i) => leafHash(saltOf(i), bytes[i]));
  const generated = rows.map((row) => row.type === 'Provenance' && isWindowProvenanceId(row.id));
  const patients = rows.map((row, i) => (generated[i] ? SHARED_SUBJECT : subjectOf(subjects, row)));
  const leafRows = rows.map((row, i) => [row.seq, row.rid, row.version, row.type, row.id, saltOf(i), leaves[i], patients[i], generated[i], row.last_updated]);
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
  const count = Number(added.added);
  // A redelivered batch with some leaves already recorded is not kept: the window builder reads it.
  if (recent && count === rows.length) {
    const first = Number(added.first);
    rows.forEach((row, i) => {
      recent.add(first + i, {
        rid: Number(row.rid),
        version: { type: row.type, id: row.id, version: String(row.version), bytes: bytes[i], salt: saltOf(i), leaf: leaves[i], patient: patients[i] },
      });
    });
  }
  return count;
}

function handedOver(events: readonly OutboxEvent[], committed: CommittedContent | undefined): VersionRow[] | undefined {
  if (!committed) return undefined;
  const rows: VersionRow[] = [];
  let complete = true;
  for (const event of events) {
    if (event.action === 'delete') continue;
    // Taken even after a miss, so a batch read from the database leaves nothing behind to pile up.
    const content = committed.take(event.rid, event.version);
    if (content === undefined) complete = false;
    else if (complete) rows.push({ seq: event.seq, rid: event.rid, type: event.type, id: event.id, version: event.version, content, last_updated: event.lastUpdated });
  }
  return complete ? rows : undefined;
}

/**
 * The exact bytes the write path stored: resource_version.content, nothing re-serialised. A batch
 * is a contiguous run of the outbox (commit order), read by its seq range through primary keys.
 */
async function storedVersions(db: Database, events: readonly OutboxEvent[]): Promise<VersionRow[]> {
  const { rows } = await db.query<VersionRow>(
    `SELECT o.seq, o.rid, o.type, o.id, o.version, v.content, v.last_updated
       FROM outbox o JOIN resource_version v ON v.rid = o.rid AND v.version = o.version
      WHERE o.seq BETWEEN $1 AND $2 AND o.action <> 'delete' AND v.content IS NOT NULL
      ORDER BY o.seq`,
    [events[0].seq, events[events.length - 1].seq],
  );
  return rows;
}

function subjectOf(subjects: KeySubjects, row: VersionRow): string {
  try {
    return subjects.of(row.type, row.id, JSON.parse(row.content) as Record<string, unknown>);
  } catch {
    // Stored JSON always parses; should it not, the version still gets its leaf, under the shared key.
    return SHARED_SUBJECT;
  }
}
