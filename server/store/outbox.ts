import type { Logger } from '../log.ts';
import type { Database } from './database.ts';
import type { Repository } from './repository.ts';

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
}

export interface OutboxConsumer {
  stop(): Promise<void>;
  /** Resolves once the consumer has processed every event committed before the call. */
  drained(): Promise<void>;
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

  async read(after: number, limit: number): Promise<OutboxEvent[]> {
    const { rows } = await this.db.query<any>(
      'SELECT seq, commit_id, rid, type, id, version, action, last_updated FROM outbox WHERE seq > $1 ORDER BY seq LIMIT $2',
      [after, limit],
    );
    return rows.map((row) => ({
      seq: Number(row.seq),
      commitId: Number(row.commit_id),
      rid: Number(row.rid),
      type: row.type,
      id: row.id,
      version: row.version,
      action: row.action,
      lastUpdated: row.last_updated.toISOString(),
    }));
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
    const onCommit = () => wake?.();
    this.repository.events.on('committed', onCommit);
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
          position = await this.cursor(name);
          let resumed = true;
          settleWaiters();
          // Another process may take the consumer over if our session (and so the lease) is lost.
          while (!stopped && lease.isHeld()) {
            const events = await this.read(position, batchSize);
            if (events.length === 0) {
              settleWaiters();
              await sleep(idleMs);
              continue;
            }
            try {
              await handler(events, { resumed });
            } catch (error) {
              this.log.warn({ err: error, consumer: name, fromSeq: events[0].seq }, 'outbox consumer failed; retrying the batch');
              await sleep(retryMs);
              continue;
            }
            position = events[events.length - 1].seq;
            resumed = false;
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
          await lease.release().catch(() => undefined);
        }
      }
    })();

    const consumer: OutboxConsumer = {
      stop: async () => {
        stopped = true;
        wake?.();
        this.repository.events.off('committed', onCommit);
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
