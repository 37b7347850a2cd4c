import type { Logger } from '../log.ts';
import type { Database } from './database.ts';
import type { CommittedWrite, Repository } from './repository.ts';
import { isoInstantSql } from './iso-instant-sql.ts';
import { OutboxLocalFeed } from './outbox-local-feed.ts';

export interface OutboxEvent {
  seq: number;
  commitId: number;
  /** The resource's row id (resource.rid), with version naming the stored version. */
  rid: number;
  type: string;
  id: string;
  version: number;
  action: 'create' | 'update' | 'delete';
  lastUpdated: string;
}

/** What a handler may need to know about the batch beyond its events. */
export interface OutboxBatch {
  /**
   * The first batch since this process took the consumer (start, or the lease regained): batches
   * before it may have been handled elsewhere, so state kept in memory between batches is stale.
   */
  resumed: boolean;
}

export interface ConsumerOptions {
  batchSize?: number;
  /** Poll interval when nothing wakes the consumer (other processes' commits without NOTIFY). */
  idleMs?: number;
  /** Back-off after a failing handler; the same batch is retried (at-least-once). */
  retryMs?: number;
  /**
   * Asked before each batch except a resumed one: resource types the handler needs to see for now,
   * or undefined for all. Given types, the consumer skips straight past other events (no rows read
   * for them, the handler not called) and stops a batch at the first event of those types, so a
   * handler whose interest widens with that event sees everything after it.
   */
  only?: () => readonly string[] | undefined;
}

export interface OutboxConsumer {
  stop(): Promise<void>;
  /** Resolves once the consumer has processed every event committed before the call. */
  drained(): Promise<void>;
}

/** The commit time as ISO text (consumers read events by the thousand). */
const isoLastUpdated = (column: string) => `${isoInstantSql(column)} AS last_updated`;

function toEvents(rows: any[]): OutboxEvent[] {
  return rows.map(toEvent);
}

/** The fields of an event as Outbox.read joins them, in this order. */
const FIELDS = 8;

/**
 * Events as Outbox.read reads them: how many, and every field of every event joined by commas,
 * event after event (NULL when there are none). No field the server writes holds a comma (numbers,
 * resource type names, ids of [A-Za-z0-9.-], actions, ISO instants); should a row changed by hand
 * hold one, the fields no longer count up and eventsFromJoined says so (undefined).
 */
interface JoinedEvents {
  count: string | number;
  fields: string | null;
}

// A loop, not a callback made per batch (server/ingest/README.md, "Optimized code").
function eventsFromJoined(joined: JoinedEvents | undefined): OutboxEvent[] | undefined {
  if (!joined?.fields) return [];
  const count = Number(joined.count);
  const fields = joined.fields.split(',');
  if (fields.length !== count * FIELDS) return undefined;
  const events: OutboxEvent[] = new Array(count);
  for (let i = 0, f = 0; i < count; i++, f += FIELDS) {
    events[i] = {
      seq: Number(fields[f]),
      commitId: Number(fields[f + 1]),
      rid: Number(fields[f + 2]),
      type: fields[f + 3]!,
      id: fields[f + 4]!,
      version: Number(fields[f + 5]),
      action: fields[f + 6] as OutboxEvent['action'],
      lastUpdated: fields[f + 7]!,
    };
  }
  return events;
}

// A module function, not a callback made per batch (server/ingest/README.md, "Optimized code").
function toEvent(row: any): OutboxEvent {
  return {
    seq: Number(row.seq),
    commitId: Number(row.commit_id),
    rid: Number(row.rid),
    type: row.type,
    id: row.id,
    version: row.version,
    action: row.action,
    lastUpdated: row.last_updated,
  };
}

/** The outbox positions a read takes: after $1, and up to $3 when there is an upper bound ($2 is the limit). */
function positionsAfter(upTo: number | undefined): string {
  return upTo === undefined ? 'seq > $1' : 'seq > $1 AND seq <= $3';
}

function positionParams(after: number, limit: number, upTo: number | undefined): number[] {
  return upTo === undefined ? [after, limit] : [after, limit, upTo];
}

function leaseKey(name: string): number {
  let hash = 7_341_100;
  for (const c of name) hash = (Math.imul(hash, 31) + c.charCodeAt(0)) | 0;
  return hash;
}

/**
 * Consumers of the transactional outbox. Each named consumer keeps a durable cursor (the last
 * seq it finished), processes events in commit order (hence in order per resource), at least
 * once: the cursor moves only after the handler resolves, so a crash replays the unfinished
 * batch. Across server processes a consumer runs in one process at a time (advisory lease).
 */
export class Outbox {
  private readonly consumers = new Set<OutboxConsumer>();

  constructor(
    private readonly db: Database,
    private readonly repository: Repository,
    private readonly log: Logger,
  ) {}

  async cursor(name: string): Promise<number> {
    const { rows } = await this.db.query<{ seq: number }>('SELECT seq FROM outbox_cursor WHERE consumer = $1', [name]);
    return rows[0]?.seq ?? 0;
  }

  /**
   * One row holding every field of every event as one comma-joined text, not a row per event or
   * an array per field: PGlite decodes every field of every row through its own parsers on the
   * server's thread (~15 µs of CPU per event read as rows), node-postgres parses arrays in
   * JavaScript (postgres-array), and each ordered aggregate sorts on its own. Read as an array per
   * field, a joined text per field, and one joined text: ~4.5 → ~0.9 → ~0.7 µs of the server's
   * CPU per event, and ~1.6 → ~1.6 → ~0.85 µs more waiting for PostgreSQL; with PGlite, ~4 → ~2.6
   * → ~2.2 µs of CPU (scratch measurements, 100,000 events in 2,000-event reads). The provenance
   * consumer reads every committed version.
   */
  async read(after: number, limit: number, upTo?: number): Promise<OutboxEvent[]> {
    const { rows } = await this.db.query<JoinedEvents>(
      `SELECT count(*) AS count,
              string_agg(concat_ws(',', seq, commit_id, rid, type, id, version, action, ${isoInstantSql('last_updated')}), ',' ORDER BY seq) AS fields
         FROM (SELECT * FROM outbox WHERE ${positionsAfter(upTo)} ORDER BY seq LIMIT $2) AS o`,
      positionParams(after, limit, upTo),
    );
    return eventsFromJoined(rows[0]) ?? this.readRows(after, limit, upTo);
  }

  private async readRows(after: number, limit: number, upTo?: number): Promise<OutboxEvent[]> {
    const { rows } = await this.db.query<any>(
      `SELECT seq, commit_id, rid, type, id, version, action, ${isoLastUpdated('last_updated')} FROM outbox WHERE ${positionsAfter(upTo)} ORDER BY seq LIMIT $2`,
      positionParams(after, limit, upTo),
    );
    return toEvents(rows);
  }

  private async readBatch(after: number, limit: number): Promise<{ events: OutboxEvent[]; through: number }> {
    const events = await this.read(after, limit);
    return { events, through: events.length > 0 ? events[events.length - 1].seq : after };
  }

  /**
   * The next batch, from this process's own commits where they continue the consumer's position
   * (outbox-local-feed.ts), else from the table: up to the first event held in memory when there
   * is one, all of whose positions are settled, so a read that finds fewer than it asked for has
   * passed them all.
   */
  private async nextBatch(feed: OutboxLocalFeed, after: number, limit: number): Promise<{ events: OutboxEvent[]; through: number }> {
    const local = feed.take(after, limit);
    if (local === undefined) return this.readBatch(after, limit);
    if ('events' in local) return local;
    const events = await this.read(after, limit, local.before - 1);
    return { events, through: events.length < limit ? local.before - 1 : events[events.length - 1]!.seq };
  }

  /**
   * The first event of the given types after `after`, and how far the outbox was read: to that
   * event, or to the head when there is none. Head and event come from one snapshot, and seq order
   * is commit order, so nothing can later appear at or below the position returned.
   */
  async readFirstOf(after: number, types: readonly string[]): Promise<{ events: OutboxEvent[]; through: number }> {
    const { rows } = await this.db.query<any>(
      `WITH head AS (SELECT coalesce(max(seq), 0) AS seq FROM outbox)
       SELECT h.seq AS head, o.seq, o.commit_id, o.rid, o.type, o.id, o.version, o.action, ${isoLastUpdated('o.last_updated')}
         FROM head h LEFT JOIN LATERAL (
           SELECT * FROM outbox WHERE seq > $1 AND seq <= h.seq AND type = ANY($2::text[]) ORDER BY seq LIMIT 1) o ON true`,
      [after, types],
    );
    const row = rows[0];
    if (row.seq === null || row.seq === undefined) return { events: [], through: Math.max(after, Number(row.head)) };
    const [event] = toEvents([row]);
    return { events: [event], through: event.seq };
  }

  async headSeq(): Promise<number> {
    const { rows } = await this.db.query<{ seq: number | null }>('SELECT max(seq) AS seq FROM outbox');
    return Number(rows[0].seq ?? 0);
  }

  subscribe(name: string, handler: (events: OutboxEvent[], batch: OutboxBatch) => Promise<void>, options: ConsumerOptions = {}): OutboxConsumer {
    const batchSize = options.batchSize ?? 500;
    const idleMs = options.idleMs ?? 1000;
    const retryMs = options.retryMs ?? 1000;
    let stopped = false;
    let wake: (() => void) | undefined;
    let position = -1;
    const waiters: Array<{ target: number; resolve: () => void }> = [];
    // Another process's commit (this one's wake it through 'committed', once its events are known here).
    const onCommit = (payload: string) => {
      if (payload !== this.repository.notifier) wake?.();
    };
    // Consumers that read every event take this process's own from memory; those waiting for some
    // types (options.only) look them up in the table. Kept only while this process holds the
    // consumer's lease: another process consuming meanwhile reads them from the table anyway.
    const feed = options.only ? undefined : new OutboxLocalFeed();
    let leased = false;
    // A commit of this process that holds none of the types the consumer waits for cannot change
    // what it does next: its events are passed over at the next wake (another commit, drained(),
    // the idle poll) rather than each costing a read and a cursor write. On PGlite those statements
    // ran in the one database thread after every commit, ahead of the next request's.
    const onLocalCommit = (results: readonly CommittedWrite[]) => {
      if (leased) feed?.add(results);
      const types = options.only?.();
      if (types && !results.some((result) => types.includes(result.type))) return;
      wake?.();
    };
    this.repository.events.on('committed', onLocalCommit);
    let unlisten: (() => Promise<void>) | undefined;
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          wake = undefined;
          resolve();
        }, ms);
        wake = () => {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        };
      });
    const settleWaiters = () => {
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (position >= waiters[i].target) waiters.splice(i, 1)[0].resolve();
      }
    };

    const loop = (async () => {
      if (this.db.kind === 'postgres') unlisten = await this.db.listen('outbox', onCommit).catch(() => undefined);
      while (!stopped) {
        const lease = await this.db.tryLease(leaseKey(name)).catch(() => undefined);
        if (!lease) {
          await sleep(idleMs);
          continue;
        }
        try {
          leased = true;
          position = await this.cursor(name);
          let resumed = true;
          settleWaiters();
          // Another process may take the consumer over if our session (and so the lease) is lost.
          while (!stopped && lease.isHeld()) {
            const types = resumed ? undefined : options.only?.();
            const { events, through } = types
              ? await this.readFirstOf(position, types)
              : feed && !resumed
                ? await this.nextBatch(feed, position, batchSize)
                : await this.readBatch(position, batchSize);
            if (through <= position) {
              settleWaiters();
              // stop() may have come while the read ran, when there was no sleep to cut short.
              if (!stopped) await sleep(idleMs);
              continue;
            }
            if (events.length > 0) {
              try {
                await handler(events, { resumed });
              } catch (error) {
                this.log.warn({ err: error, consumer: name, fromSeq: events[0].seq }, 'outbox consumer failed; retrying the batch');
                await sleep(retryMs);
                continue;
              }
              resumed = false;
            }
            position = through;
            await this.db.query(
              `INSERT INTO outbox_cursor (consumer, seq, updated_at) VALUES ($1, $2, now())
               ON CONFLICT (consumer) DO UPDATE SET seq = EXCLUDED.seq, updated_at = now()`,
              [name, position],
            );
            settleWaiters();
          }
        } catch (error) {
          if (!stopped) {
            this.log.warn({ err: error, consumer: name }, 'outbox consumer lost its database connection; retrying');
            await sleep(retryMs);
          }
        } finally {
          leased = false;
          feed?.clear();
          await lease.release().catch(() => undefined);
        }
      }
    })();

    const consumer: OutboxConsumer = {
      stop: async () => {
        stopped = true;
        wake?.();
        this.repository.events.off('committed', onLocalCommit);
        await loop;
        await unlisten?.().catch(() => undefined);
        this.consumers.delete(consumer);
      },
      drained: async () => {
        const target = await this.headSeq();
        if (position >= target) return;
        await new Promise<void>((resolve) => {
          waiters.push({ target, resolve });
          wake?.();
        });
      },
    };
    this.consumers.add(consumer);
    return consumer;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.consumers].map((consumer) => consumer.stop()));
  }
}
