import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { extractIndexRows, type QuantityCanonicalizer } from '../fhir/search/index/extract-index.ts';
import type { IndexRows } from '../fhir/search/index/index-rows.ts';
import type { SearchParameterRegistry } from '../fhir/search/definitions/search-parameters.ts';
import type { Database, Queryable } from './database.ts';
import { addIndexDeletions, IndexRowsBatch } from './index-writer.ts';
import type { SearchParamIds } from './search-param-ids.ts';
import { storedJson } from './stored-json.ts';
import { VersionConflictError } from './write-errors.ts';
import type { StatisticsKeeper } from './statistics-keeper.ts';
import { GroupCommit } from './group-commit.ts';
import { BulkRows, type BulkColumn } from './bulk-column.ts';
import { insertRows, rowsSource } from './bulk-insert.ts';
import { WriteStatement } from './write-statement.ts';
import { statementName } from './statement-names.ts';

export type WriteAction = 'create' | 'update' | 'delete';

export interface WriteOperation {
  /**
   * create: at an id nobody else can be using (server-assigned, or claimed by the caller — a
   * device reading's own id); another row with that id fails the write with a unique violation.
   * update: create-or-replace at a client id. delete.
   */
  action: WriteAction;
  /** HTTP verb recorded in history (a PATCH is stored as an update made by PATCH). */
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  type: string;
  id: string;
  resource?: Record<string, any>;
  /** Version the client expects to replace (If-Match). */
  ifMatch?: number;
  /**
   * Search parameters of the type whose index rows this write leaves out: rows some feature
   * derives from its own tables at query time (fhir/search/reference-rows.ts), such as the
   * targets of a window Provenance.
   */
  unindexed?: readonly string[];
}

export interface CommittedWrite {
  type: string;
  id: string;
  rid: number;
  version: number;
  lastUpdated: string;
  /** Stored JSON of this version; undefined for deletions. */
  json?: string;
  /** The resource as written (new versions only), for listeners that would otherwise parse `json` again. */
  resource?: Record<string, any>;
  /** What the outbox recorded, or 'none' when nothing changed (identical update, delete of nothing). */
  action: WriteAction | 'none';
  /** The resource did not exist (or was deleted) before this write. */
  created: boolean;
  /**
   * The outbox event's position and its commit's first position, once the outbox was written and
   * told them (outbox-local-feed.ts); undefined for action 'none'.
   */
  seq?: number;
  commitId?: number;
}

interface CurrentRow {
  rid: number;
  type: string;
  id: string;
  version: number;
  deleted: boolean;
  last_updated: Date;
  content: string | null;
}

const VERSION_COLUMNS: BulkColumn[] = [
  { name: 'rid', type: 'int8' }, { name: 'version', type: 'int4' }, { name: 'last_updated', type: 'timestamptz' }, { name: 'method', type: 'text' }, { name: 'content', type: 'text' },
];
const OUTBOX_COLUMNS: BulkColumn[] = [
  { name: 'seq', type: 'int8' }, { name: 'commit_id', type: 'int8' }, { name: 'rid', type: 'int8' }, { name: 'type', type: 'text' },
  { name: 'id', type: 'text' }, { name: 'version', type: 'int4' }, { name: 'action', type: 'text' }, { name: 'last_updated', type: 'timestamptz' },
];
/** An outbox event before it is numbered: `ord` is its place in the commit. */
const OUTBOX_EVENT_COLUMNS: BulkColumn[] = [
  { name: 'ord', type: 'int4' }, { name: 'rid', type: 'int8' }, { name: 'type', type: 'text' }, { name: 'id', type: 'text' },
  { name: 'version', type: 'int4' }, { name: 'action', type: 'text' }, { name: 'last_updated', type: 'timestamptz' },
];
const NEW_RESOURCE_COLUMNS: BulkColumn[] = [{ name: 't', type: 'text' }, { name: 'i', type: 'text' }];
const RESOURCE_UPDATE_COLUMNS: BulkColumn[] = [{ name: 'rid', type: 'int8' }, { name: 'version', type: 'int4' }, { name: 'last_updated', type: 'timestamptz' }, { name: 'deleted', type: 'bool' }];

/** Commits with fewer outbox events than this append them in their write statement (Repository.writeIn). */
const OUTBOX_IN_WRITE_STATEMENT = 32;

function outboxEvents(results: CommittedWrite[]): CommittedWrite[] {
  return results.filter(wroteVersion);
}

/** What the outbox INSERT's RETURNING seq rows sum up to: the range a commit's events were given. */
const SEQ_RANGE = 'min(seq) AS first, max(seq) AS last, count(*) AS count';

/**
 * Each event's position from its commit's range: the positions are drawn in event order under the
 * commit-order lock (outboxInsert), so event k got first + k. Left undefined if the range is not
 * one unbroken run of exactly these events; a consumer then reads them from the table.
 */
function numberEvents(events: CommittedWrite[], range: Record<string, unknown> | undefined): void {
  if (!range) return;
  const first = Number(range.first);
  const count = Number(range.count);
  if (count !== events.length || Number(range.last) - first + 1 !== count) return;
  for (let k = 0; k < events.length; k++) {
    events[k]!.seq = first + k;
    events[k]!.commitId = first;
  }
}

/** Module functions and loops, here and in the write path below, not callbacks made per write (server/ingest/README.md, "Optimized code"). */
function wroteVersion(result: CommittedWrite): boolean {
  return result.action !== 'none';
}

function typeOf(key: { type: string }): string {
  return key.type;
}

function idOf(key: { id: string }): string {
  return key.id;
}

/** ISO times as Unix milliseconds: the writes of one commit share a handful of times, each parsed once. */
function isoMillis(): (iso: string) => number {
  const millis = new Map<string, number>();
  return (iso) => {
    let ms = millis.get(iso);
    if (ms === undefined) millis.set(iso, (ms = Date.parse(iso)));
    return ms;
  };
}

/** Serializes commits' outbox sequence numbers so seq order equals commit order (PostgreSQL). */
const COMMIT_ORDER_LOCK = 7_341_002;

/**
 * The one write path. In one database transaction it stores the new version (the exact JSON the
 * server returns for it), its history row, its search-index rows and an outbox event. Nothing
 * downstream runs inline: consumers read the outbox.
 */
export class Repository {
  /** Emits 'committed' (with the CommittedWrite[]) after every commit that wrote outbox events: wakes local consumers. */
  readonly events = new EventEmitter();
  /**
   * The payload of this process's outbox NOTIFYs: its consumers, woken by its own commits through
   * 'committed' (after the events are known here), pass over them, and other processes' wake them.
   */
  readonly notifier = randomUUID();

  constructor(
    readonly db: Database,
    private readonly registry: SearchParameterRegistry,
    private readonly paramIds: SearchParamIds,
    private readonly baseUrl: string,
    private readonly canonicalize?: QuantityCanonicalizer,
  ) {
    this.events.setMaxListeners(100);
    this.groupCommit = new GroupCommit(db, (tx, item, finishing) => this.writeIn(tx, item.operations, item.indexed, finishing), (tx, results) => this.appendOutbox(tx, results));
  }

  indexRows(type: string, resource: Record<string, any>, unindexed?: readonly string[]): IndexRows {
    const params = this.registry.paramsFor(type).values();
    return extractIndexRows(resource, unindexed?.length ? [...params].filter((param) => !unindexed.includes(param.code)) : params, {
      baseUrl: this.baseUrl,
      pidOf: this.paramIds.pidOf,
      canonicalize: this.canonicalize,
    });
  }

  private readonly groupCommit: GroupCommit;

  /**
   * Writes in a transaction of its own — shared with other writes arriving at the same moment
   * (group commit, each isolated by a savepoint) — and wakes outbox consumers after the commit.
   */
  async write(operations: WriteOperation[]): Promise<CommittedWrite[]> {
    const indexed = new Array<IndexRows | undefined>(operations.length);
    for (let i = 0; i < operations.length; i++) {
      const op = operations[i]!;
      indexed[i] = op.resource ? this.indexRows(op.type, op.resource, op.unindexed) : undefined;
    }
    const results = await this.groupCommit.write({ operations, indexed });
    this.committed(results);
    return results;
  }

  /** Writes inside a caller's transaction (transaction bundles); the caller calls committed() after COMMIT. */
  async writeInTransaction(tx: Queryable, operations: WriteOperation[]): Promise<CommittedWrite[]> {
    return this.writeIn(tx, operations, undefined, true);
  }

  committed(results: CommittedWrite[]): void {
    let written = 0;
    for (const result of results) if (wroteVersion(result)) written++;
    if (written === 0) return;
    this.statistics?.recordWrites(written);
    this.events.emit('committed', results);
  }

  /** Set by the server: keeps planner statistics fresh during bulk loads. */
  statistics?: StatisticsKeeper;

  private async lockCurrent(tx: Queryable, keys: Array<{ type: string; id: string }>): Promise<Map<string, CurrentRow>> {
    const current = new Map<string, CurrentRow>();
    if (keys.length === 0) return current;
    const { rows } = await tx.query<CurrentRow>(
      `SELECT r.rid, r.type, r.id, r.version, r.deleted, r.last_updated, v.content
         FROM resource r LEFT JOIN resource_version v ON v.rid = r.rid AND v.version = r.version
        WHERE (r.type, r.id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
        ORDER BY r.type, r.id
        FOR UPDATE OF r`,
      [keys.map(typeOf), keys.map(idOf)],
    );
    for (const row of rows) current.set(`${row.type}/${row.id}`, row);
    return current;
  }

  /** With `outbox`, also appends the outbox events (the last thing before COMMIT: see appendOutbox). */
  private async writeIn(tx: Queryable, operations: WriteOperation[], indexed: Array<IndexRows | undefined> | undefined, outbox: boolean): Promise<CommittedWrite[]> {
    const now = Date.now();
    const keyed: WriteOperation[] = [];
    for (const op of operations) if (op.action !== 'create') keyed.push(op);
    const current = await this.lockCurrent(tx, keyed);

    // Updates of resources that do not exist yet become inserts. A concurrent writer may insert
    // the same id first: ON CONFLICT DO NOTHING waits for it, and we then lock its row instead.
    const toInsert: Array<{ op: WriteOperation; index: number }> = [];
    const insertKeys: Array<[type: string, id: string]> = [];
    let racing = false;
    for (let index = 0; index < operations.length; index++) {
      const op = operations[index]!;
      if (op.action === 'create' || (op.action === 'update' && !current.has(`${op.type}/${op.id}`))) {
        toInsert.push({ op, index });
        insertKeys.push([op.type, op.id]);
        racing ||= op.action === 'update';
      }
    }
    const rids = new Map<number, number>();
    if (toInsert.length > 0) {
      const lastUpdated = new Date(now).toISOString();
      const source = rowsSource(tx, 2, NEW_RESOURCE_COLUMNS, new BulkRows(insertKeys));
      // Creates alone take a plain INSERT (`racing` false): ON CONFLICT costs a speculative
      // insertion per row (about 2 µs of PostgreSQL's time each, measured), and a create's id is
      // one nobody else can hold.
      const sql = `INSERT INTO resource (type, id, version, last_updated, deleted)
         SELECT t, i, 1, $1::timestamptz, false FROM (${source.sql}) AS u
         ${racing ? 'ON CONFLICT (type, id) DO NOTHING ' : ''}RETURNING rid, type, id`;
      const { rows } = await tx.query<{ rid: number; type: string; id: string }>(sql, [lastUpdated, ...source.params], statementName(sql));
      const inserted = new Map<string, number>();
      for (const row of rows) inserted.set(`${row.type}/${row.id}`, row.rid);
      const raced: Array<{ type: string; id: string }> = [];
      for (const { op, index } of toInsert) {
        const rid = inserted.get(`${op.type}/${op.id}`);
        if (rid !== undefined) rids.set(index, rid);
        else raced.push(op);
      }
      for (const [key, row] of await this.lockCurrent(tx, raced)) current.set(key, row);
    }

    const results: CommittedWrite[] = [];
    const versionRows: Array<[rid: number, version: number, lastUpdated: number, method: string, content: string | null]> = [];
    const resourceUpdates: Array<[rid: number, version: number, lastUpdated: number, deleted: boolean]> = [];
    const reindexed: number[] = [];
    const newIndex = new IndexRowsBatch(tx.binaryArrays === true);
    // Most versions of a write share its time: one text for all of them.
    const nowIso = new Date(now).toISOString();

    for (let index = 0; index < operations.length; index++) {
      const op = operations[index]!;
      const key = `${op.type}/${op.id}`;
      const insertedRid = rids.get(index);
      const existing = insertedRid === undefined ? current.get(key) : undefined;
      const live = existing !== undefined && !existing.deleted;
      if (op.ifMatch !== undefined && (!live || existing.version !== op.ifMatch)) {
        throw new VersionConflictError(op.type, op.id, op.ifMatch, live ? existing.version : undefined);
      }
      if (op.action === 'delete' && !live) {
        results.push({ type: op.type, id: op.id, rid: existing?.rid ?? 0, version: existing?.version ?? 0, lastUpdated: existing?.last_updated.toISOString() ?? '', action: 'none', created: false });
        continue;
      }
      const rid = insertedRid ?? existing!.rid;
      const version = existing ? existing.version + 1 : 1;
      const lastUpdatedMs = existing ? Math.max(now, existing.last_updated.getTime() + 1) : now;
      const lastUpdated = lastUpdatedMs === now ? nowIso : new Date(lastUpdatedMs).toISOString();
      if (op.action === 'delete') {
        versionRows.push([rid, version, lastUpdatedMs, op.method, null]);
        resourceUpdates.push([rid, version, lastUpdatedMs, true]);
        reindexed.push(rid);
        results.push({ type: op.type, id: op.id, rid, version, lastUpdated, action: 'delete', created: false });
        continue;
      }
      if (live && existing.content !== null) {
        // An update that changes nothing keeps the current version (no new history, no event).
        const unchanged = storedJson(op.resource!, op.id, existing.version, existing.last_updated.toISOString());
        if (unchanged === existing.content) {
          results.push({ type: op.type, id: op.id, rid, version: existing.version, lastUpdated: existing.last_updated.toISOString(), json: existing.content, action: 'none', created: false });
          continue;
        }
      }
      const json = storedJson(op.resource!, op.id, version, lastUpdated);
      versionRows.push([rid, version, lastUpdatedMs, op.method, json]);
      if (existing) {
        resourceUpdates.push([rid, version, lastUpdatedMs, false]);
        reindexed.push(rid);
      } else if (lastUpdatedMs !== now) {
        resourceUpdates.push([rid, version, lastUpdatedMs, false]);
      }
      newIndex.add(rid, indexed?.[index] ?? this.indexRows(op.type, op.resource!, op.unindexed));
      results.push({ type: op.type, id: op.id, rid, version, lastUpdated, json, resource: op.resource, action: live ? 'update' : 'create', created: !live });
    }

    const statement = new WriteStatement(tx);
    statement.updateFrom(
      RESOURCE_UPDATE_COLUMNS,
      new BulkRows(resourceUpdates),
      (source) => `UPDATE resource AS r SET version = u.version, last_updated = u.last_updated, deleted = u.deleted FROM (${source}) AS u WHERE r.rid = u.rid`,
    );
    statement.insert('resource_version', VERSION_COLUMNS, new BulkRows(versionRows));
    addIndexDeletions(statement, reindexed);
    newIndex.addTo(statement);
    // A small commit's events go in the same statement, a round trip fewer. Not a large one's:
    // the commit-order lock would then be held while its thousands of index rows go in.
    const events = outbox ? outboxEvents(results) : [];
    const together = events.length > 0 && events.length < OUTBOX_IN_WRITE_STATEMENT;
    if (together) statement.addSummarized((firstParam) => this.outboxInsert(tx, firstParam, events), SEQ_RANGE);
    const range = await statement.run();
    if (together) numberEvents(events, range);
    if (outbox && !together) await this.appendOutbox(tx, results);
    return results;
  }

  /** Outbox events for what a transaction wrote, last thing before COMMIT (under the commit-order lock). */
  private async appendOutbox(tx: Queryable, results: CommittedWrite[]): Promise<void> {
    const events = outboxEvents(results);
    if (events.length === 0) return;
    if (this.db.kind === 'pglite' && events.length >= OUTBOX_IN_WRITE_STATEMENT) {
      // PGlite takes large batches by COPY. One process owns the database: no other committer to order against.
      const { rows } = await tx.query<{ seq: number }>(`SELECT nextval('outbox_seq') AS seq FROM generate_series(1, $1::int)`, [events.length]);
      const msOf = isoMillis();
      const outboxRows = new Array<unknown[]>(events.length);
      for (let i = 0; i < events.length; i++) {
        const e = events[i]!;
        outboxRows[i] = [rows[i]!.seq, rows[0]!.seq, e.rid, e.type, e.id, e.version, e.action, msOf(e.lastUpdated)];
      }
      await insertRows(tx, 'outbox', OUTBOX_COLUMNS, new BulkRows(outboxRows));
      for (let i = 0; i < events.length; i++) {
        events[i]!.seq = Number(rows[i]!.seq);
        events[i]!.commitId = Number(rows[0]!.seq);
      }
      return;
    }
    const { sql, params } = this.outboxInsert(tx, 1, events);
    const numbered = `WITH returned AS (${sql}) SELECT ${SEQ_RANGE} FROM returned`;
    const { rows } = await tx.query<Record<string, unknown>>(numbered, params, statementName(numbered));
    numberEvents(events, rows[0]);
  }

  /**
   * One statement that numbers and inserts a commit's events — on PostgreSQL after taking the
   * commit-order lock, and with the NOTIFY that wakes other processes' consumers (it was four
   * round trips). The numbers are drawn after the lock is held: each row of the cross join needs
   * the lock's row first, and a cross join of generate_series emits its rows, hence draws its
   * numbers, in ordinal order. It returns the numbers (summed up by the caller as a range).
   */
  private outboxInsert(tx: Queryable, firstParam: number, events: CommittedWrite[]): { sql: string; params: unknown[] } {
    const msOf = isoMillis();
    const eventRows = new Array<unknown[]>(events.length);
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      eventRows[i] = [i + 1, e.rid, e.type, e.id, e.version, e.action, msOf(e.lastUpdated)];
    }
    const rows = new BulkRows(eventRows);
    const locked = this.db.kind === 'postgres';
    const count = firstParam + (locked ? 2 : 0);
    const source = rowsSource(tx, count + 1, OUTBOX_EVENT_COLUMNS, rows);
    const sql = `WITH ${locked ? `commit_order AS MATERIALIZED (SELECT pg_advisory_xact_lock($${firstParam}), pg_notify('outbox', $${firstParam + 1})),` : ''}
              numbered AS MATERIALIZED (SELECT ord, nextval('outbox_seq') AS seq FROM ${locked ? 'commit_order, ' : ''}generate_series(1, $${count}::int) AS ord)
         INSERT INTO outbox (seq, commit_id, rid, type, id, version, action, last_updated)
         SELECT n.seq, min(n.seq) OVER (), e.rid, e.type, e.id, e.version, e.action, e.last_updated
           FROM (${source.sql}) AS e JOIN numbered n ON n.ord = e.ord
         RETURNING seq`;
    return { sql, params: [...(locked ? [COMMIT_ORDER_LOCK, this.notifier] : []), events.length, ...source.params] };
  }
}
