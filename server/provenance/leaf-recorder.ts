import type { Database, Queryable } from '../store/database.ts';
import { arrayParam } from '../store/bulk-insert.ts';
import type { OutboxEvent } from '../store/outbox.ts';
import { SHARED_SUBJECT } from './anchor-window.ts';
import type { KeySubjects } from './key-subject.ts';
import { asBuffer, LEAF_HEAD_SQL } from './leaf-runs.ts';
import type { Sealer } from './sealer.ts';
import type { HashReply, VersionsToHash } from './sealer-protocol.ts';
import { isWindowProvenanceId } from './window-provenance.ts';

/** A batch's versions in outbox order, as columns (what the sealer hashes, plus what the leaf run needs). */
interface LeafBatch extends VersionsToHash {
  seqs: number[];
  /** Commit instants, Unix milliseconds. */
  committedMs: number[];
}

/** What goes into one run: the batch from `from` on (a redelivered head is cut off), erased positions (0-based) left bare. */
interface RunInsert {
  batch: LeafBatch;
  hashed: HashReply;
  from: number;
  erased: ReadonlySet<number>;
}

/** The erasure counter, as sequences report it: 0 until the first $erase. */
const ERASURES_SQL = `(SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM provenance_erasure_epoch)`;

/** What the insert checks before writing a run: the erasure count, and the highest outbox position recorded. */
const STATE_SQL = `SELECT ${ERASURES_SQL} AS erasures, coalesce((SELECT max(last_seq) FROM provenance_leaf_run), 0) AS recorded`;

/**
 * The outbox consumer's whole job: one leaf per committed content version, salted with fresh
 * random bytes by the sealer thread (never in the write path), numbered densely in outbox order,
 * as one leaf run (leaf-runs.ts) per batch in one statement. The sealer hashes the content it was
 * handed at commit; a batch it does not hold whole (another process wrote it, or a restart came
 * between) is read from the database and handed over with its content. Deletions carry no stored
 * bytes and get no leaf. At-least-once delivery is harmless: versions at or below the highest
 * outbox position recorded keep their first salt and number.
 *
 * A version erased after its batch was read gets a bare leaf (no version, no salt). Looking each
 * one up cost ~1 µs of PostgreSQL CPU per leaf, so the run is written only while the count of
 * erasures is the one this recorder last saw; $erase takes a lock on the runs that the insert
 * waits for, and counts itself before it touches anything, so an insert either commits before
 * the erasure strips leaves or sees its count. Otherwise (and for the first batch) the batch's
 * versions are looked up under that lock.
 */
export class LeafRecorder {
  private erasures: number | undefined;

  constructor(
    private readonly db: Database,
    private readonly subjects: KeySubjects,
    private readonly sealer: Sealer,
  ) {}

  /** Returns how many leaves were added. */
  async record(events: readonly OutboxEvent[]): Promise<number> {
    let batch = eventBatch(events);
    if (batch.seqs.length === 0) return 0;
    let hashed = await this.sealer.hash(batch);
    if (hashed === 'missing') {
      const stored = await storedVersions(this.db, events);
      batch = stored.batch;
      if (batch.seqs.length === 0) return 0;
      hashed = await this.sealer.hash(batch, stored.contents(this.subjects));
      if (hashed === 'missing') throw new Error('the sealer lost versions it was given');
    }
    let run: RunInsert = { batch, hashed, from: 0, erased: new Set() };
    let first: number | undefined;
    try {
      for (;;) {
        const fast = this.erasures === undefined ? undefined : await insertRun(this.db, run, this.erasures);
        if (fast && 'first' in fast) {
          first = fast.first;
          break;
        }
        if (fast && fast.erasures === this.erasures) {
          // Only the head of the batch was recorded before (a redelivery cut differently).
          run = cutRecorded(run, fast.recorded);
          if (run.from >= batch.seqs.length) break;
          continue;
        }
        const checked = await this.db.transaction((tx) => insertChecked(tx, run));
        this.erasures = checked.erasures;
        if ('first' in checked) {
          first = checked.first;
          run = { ...run, erased: checked.erased };
          break;
        }
        run = cutRecorded(run, checked.recorded);
        if (run.from >= batch.seqs.length) break;
      }
    } finally {
      // Numbered only when every version got its leaf with its content (version i is then leaf
      // first + i); otherwise the window is read back from the database, where a cut or erased
      // version is as recorded.
      this.sealer.numbered(hashed.batch, first !== undefined && run.from === 0 && run.erased.size === 0 ? first : undefined);
    }
    return first === undefined ? 0 : batch.seqs.length - run.from;
  }
}

/** The run without the versions at or below outbox position `recorded`. */
function cutRecorded(run: RunInsert, recorded: number): RunInsert {
  let from = run.from;
  while (from < run.batch.seqs.length && run.batch.seqs[from]! <= recorded) from++;
  return { ...run, from };
}

type InsertOutcome = { first: number } | { erasures: number; recorded: number };

/**
 * One statement: the run is added if the erasure count is still `erasures` and nothing of the
 * batch was recorded before; either way the statement says what it found.
 */
async function insertRun(db: Queryable, run: RunInsert, erasures: number): Promise<InsertOutcome> {
  const { params, values } = runParams(db, run, 3);
  const { rows } = await db.query<{ erasures: string | number; recorded: string | number; first: string | number | null }>(
    `WITH state AS (${STATE_SQL}),
          added AS (${runInsertSql(values)} FROM state WHERE state.erasures = $1 AND state.recorded < $2 RETURNING first_leaf)
     SELECT state.erasures, state.recorded, (SELECT first_leaf FROM added) AS first FROM state`,
    [erasures, run.batch.seqs[run.from], ...params],
  );
  const row = rows[0]!;
  return row.first === null ? { erasures: Number(row.erasures), recorded: Number(row.recorded) } : { first: Number(row.first) };
}

/**
 * Under the lock $erase takes (SHARE ROW EXCLUSIVE conflicts with itself), so no erasure is
 * running and every one that ran is visible: which versions are gone, then the run.
 */
async function insertChecked(tx: Queryable, run: RunInsert): Promise<{ erasures: number; erased: Set<number>; first: number } | { erasures: number; recorded: number }> {
  await tx.query('LOCK TABLE provenance_leaf_run IN SHARE ROW EXCLUSIVE MODE');
  const { rows: state } = await tx.query<{ erasures: string | number; recorded: string | number }>(STATE_SQL);
  const erasures = Number(state[0]!.erasures);
  const recorded = Number(state[0]!.recorded);
  if (recorded >= run.batch.seqs[run.from]!) return { erasures, recorded };
  const { batch } = run;
  const { rows: gone } = await tx.query<{ i: string | number }>(
    `SELECT u.i FROM unnest($1::int8[], $2::int4[]) WITH ORDINALITY AS u(rid, version, i)
      WHERE NOT EXISTS (SELECT 1 FROM resource_version v WHERE v.rid = u.rid AND v.version = u.version)`,
    [batch.rids.slice(run.from), batch.versions.slice(run.from)],
  );
  const erased = new Set(gone.map((row) => run.from + Number(row.i) - 1));
  const { params, values } = runParams(tx, { ...run, erased }, 1);
  const { rows } = await tx.query<{ first: string | number }>(`${runInsertSql(values)} RETURNING first_leaf AS first`, params);
  return { erasures, erased, first: Number(rows[0]!.first) };
}

function runInsertSql(values: string): string {
  return `INSERT INTO provenance_leaf_run (first_leaf, leaf_count, first_seq, last_seq, rids, versions, rid_span, salts, leaves, subjects, subject_at, generated, committed_ms)
          SELECT ${LEAF_HEAD_SQL} + 1, ${values}`;
}

/** The run's columns after first_leaf as parameters from `$first` on, and the SQL naming them. */
function runParams(db: Queryable, run: RunInsert, first: number): { params: unknown[]; values: string } {
  const { batch, hashed, from, erased } = run;
  const count = batch.seqs.length - from;
  const rids: Array<number | null> = new Array(count);
  const versions: Array<number | null> = new Array(count);
  const subjectAt: Array<number | null> = new Array(count);
  const generated: number[] = [];
  let salts = hashed.salts.subarray(from * 32);
  if (erased.size > 0) salts = Buffer.from(salts);
  for (let i = 0; i < count; i++) {
    const at = from + i;
    const gone = erased.has(at);
    rids[i] = gone ? null : batch.rids[at]!;
    versions[i] = gone ? null : batch.versions[at]!;
    subjectAt[i] = gone ? null : hashed.subjectAt[at]!;
    if (gone) salts.fill(0, i * 32, i * 32 + 32);
    if (batch.generated[at]) generated.push(i + 1);
  }
  const committed = from === 0 ? batch.committedMs : batch.committedMs.slice(from);
  const params = [
    count,
    batch.seqs[from],
    batch.seqs[batch.seqs.length - 1],
    arrayParam(db, 'int8', rids),
    arrayParam(db, 'int4', versions),
    ridSpan(rids),
    asBuffer(salts),
    asBuffer(hashed.leaves.subarray(from * 32)),
    arrayParam(db, 'text', hashed.subjectNames),
    arrayParam(db, 'int4', subjectAt),
    arrayParam(db, 'int4', generated),
    arrayParam(db, 'int8', committed),
  ];
  const types = ['int4', 'int8', 'int8', 'int8[]', 'int4[]', 'int8multirange', 'bytea', 'bytea', 'text[]', 'int4[]', 'int4[]', 'int8[]'];
  return { params, values: types.map((type, i) => `$${first + i}::${type}`).join(', ') };
}

/** The rids as runs of consecutive numbers: a batch's created resources got theirs from one insert, so this is a few ranges. */
function ridSpan(rids: ReadonlyArray<number | null>): string {
  const sorted = rids.filter((rid): rid is number => rid !== null).sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1]! <= sorted[j]! + 1) j++;
    ranges.push(`[${sorted[i]},${sorted[j]! + 1})`);
    i = j + 1;
  }
  return `{${ranges.join(',')}}`;
}

function eventBatch(events: readonly OutboxEvent[]): LeafBatch {
  const batch = emptyBatch();
  let lastText: string | undefined;
  let lastMs = 0;
  for (const event of events) {
    if (event.action === 'delete') continue;
    // A commit's versions share one instant: parsed once.
    if (event.lastUpdated !== lastText) lastMs = Date.parse((lastText = event.lastUpdated));
    addVersion(batch, event.seq, event.rid, event.version, event.type, event.id, lastMs);
  }
  return batch;
}

function emptyBatch(): LeafBatch {
  return { seqs: [], rids: [], versions: [], types: [], ids: [], generated: [], committedMs: [] };
}

function addVersion(batch: LeafBatch, seq: number, rid: number, version: number, type: string, id: string, committedMs: number): void {
  batch.seqs.push(seq);
  batch.rids.push(rid);
  batch.versions.push(version);
  batch.types.push(type);
  batch.ids.push(id);
  batch.generated.push(isGenerated(type, id));
  batch.committedMs.push(committedMs);
}

function isGenerated(type: string, id: string): boolean {
  return type === 'Provenance' && isWindowProvenanceId(id);
}

/**
 * The exact bytes the write path stored: resource_version.content, nothing re-serialised. A batch
 * is a contiguous run of the outbox (commit order), read by its seq range through primary keys.
 */
async function storedVersions(db: Queryable, events: readonly OutboxEvent[]): Promise<{ batch: LeafBatch; contents(subjects: KeySubjects): Array<{ json: string; subject: string }> }> {
  const { rows } = await db.query<{ seq: string | number; rid: string | number; type: string; id: string; version: number; content: string; last_updated: Date }>(
    `SELECT o.seq, o.rid, o.type, o.id, o.version, v.content, v.last_updated
       FROM outbox o JOIN resource_version v ON v.rid = o.rid AND v.version = o.version
      WHERE o.seq BETWEEN $1 AND $2 AND o.action <> 'delete' AND v.content IS NOT NULL
      ORDER BY o.seq`,
    [events[0].seq, events[events.length - 1].seq],
  );
  const batch = emptyBatch();
  for (const row of rows) addVersion(batch, Number(row.seq), Number(row.rid), row.version, row.type, row.id, new Date(row.last_updated).getTime());
  return { batch, contents: (subjects) => rows.map((row, i) => ({ json: row.content, subject: batch.generated[i] ? SHARED_SUBJECT : subjectOf(subjects, row) })) };
}

function subjectOf(subjects: KeySubjects, row: { type: string; id: string; content: string }): string {
  try {
    return subjects.of(row.type, row.id, JSON.parse(row.content) as Record<string, unknown>);
  } catch {
    // Stored JSON always parses; should it not, the version still gets its leaf, under the shared key.
    return SHARED_SUBJECT;
  }
}
