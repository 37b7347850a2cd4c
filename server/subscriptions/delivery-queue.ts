/**
 * The durable queue of rest-hook notifications (migration 030): pending rows per subscription in
 * order, and one retry state per subscription. Inserting is idempotent per (subscription, outbox
 * event), so a replayed outbox batch queues nothing twice.
 */
import type { Queryable } from '../store/database.ts';

export interface PendingDelivery {
  seq: number;
  subscriptionId: string;
  eventSeq: number;
  type: string;
  id: string;
  version: number;
  createdAt: Date;
}

export interface DeliveryState {
  failures: number;
  firstFailureAt?: Date;
  nextAttemptAt?: Date;
  lastError?: string;
}

export interface NewDelivery {
  subscriptionId: string;
  eventSeq: number;
  type: string;
  id: string;
  version: number;
}

export class DeliveryQueue {
  constructor(private readonly db: Queryable) {}

  async enqueue(deliveries: readonly NewDelivery[]): Promise<number> {
    if (deliveries.length === 0) return 0;
    const { rowCount } = await this.db.query(
      `INSERT INTO subscription_delivery (subscription_id, event_seq, resource_type, resource_id, resource_version)
       SELECT * FROM unnest($1::text[], $2::int8[], $3::text[], $4::text[], $5::int4[])
       ON CONFLICT (subscription_id, event_seq) DO NOTHING`,
      [deliveries.map((d) => d.subscriptionId), deliveries.map((d) => d.eventSeq), deliveries.map((d) => d.type), deliveries.map((d) => d.id), deliveries.map((d) => d.version)],
    );
    return rowCount;
  }

  /** Subscriptions with pending notifications whose retry time has come, oldest work first. */
  async due(now: Date, limit: number): Promise<string[]> {
    const { rows } = await this.db.query<{ subscription_id: string }>(
      `SELECT d.subscription_id FROM subscription_delivery d
         LEFT JOIN subscription_delivery_state s ON s.subscription_id = d.subscription_id
        WHERE s.next_attempt_at IS NULL OR s.next_attempt_at <= $1
        GROUP BY d.subscription_id ORDER BY min(d.seq) LIMIT $2`,
      [now, limit],
    );
    return rows.map((r) => r.subscription_id);
  }

  /** When the earliest backed-off subscription with pending work is due, if any. */
  async nextRetryAt(): Promise<Date | undefined> {
    const { rows } = await this.db.query<{ at: Date | null }>(
      `SELECT min(s.next_attempt_at) AS at FROM subscription_delivery_state s
        WHERE EXISTS (SELECT 1 FROM subscription_delivery d WHERE d.subscription_id = s.subscription_id)`,
    );
    return rows[0]?.at ?? undefined;
  }

  async pending(subscriptionId: string, limit: number): Promise<PendingDelivery[]> {
    const { rows } = await this.db.query<any>(
      `SELECT seq, subscription_id, event_seq, resource_type, resource_id, resource_version, created_at
         FROM subscription_delivery WHERE subscription_id = $1 ORDER BY seq LIMIT $2`,
      [subscriptionId, limit],
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      subscriptionId: r.subscription_id,
      eventSeq: Number(r.event_seq),
      type: r.resource_type,
      id: r.resource_id,
      version: r.resource_version,
      createdAt: r.created_at,
    }));
  }

  async state(subscriptionId: string): Promise<DeliveryState> {
    const { rows } = await this.db.query<any>('SELECT * FROM subscription_delivery_state WHERE subscription_id = $1', [subscriptionId]);
    const r = rows[0];
    return r
      ? { failures: r.failures, firstFailureAt: r.first_failure_at ?? undefined, nextAttemptAt: r.next_attempt_at ?? undefined, lastError: r.last_error ?? undefined }
      : { failures: 0 };
  }

  async delivered(delivery: PendingDelivery): Promise<void> {
    await this.db.query('DELETE FROM subscription_delivery WHERE seq = $1', [delivery.seq]);
    await this.db.query(
      `INSERT INTO subscription_delivery_state (subscription_id, failures, delivered) VALUES ($1, 0, 1)
       ON CONFLICT (subscription_id) DO UPDATE SET failures = 0, first_failure_at = NULL, next_attempt_at = NULL, last_error = NULL,
         delivered = subscription_delivery_state.delivered + 1`,
      [delivery.subscriptionId],
    );
  }

  async failed(subscriptionId: string, state: DeliveryState): Promise<void> {
    await this.db.query(
      `INSERT INTO subscription_delivery_state (subscription_id, failures, first_failure_at, next_attempt_at, last_error) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (subscription_id) DO UPDATE SET failures = EXCLUDED.failures, first_failure_at = EXCLUDED.first_failure_at,
         next_attempt_at = EXCLUDED.next_attempt_at, last_error = EXCLUDED.last_error`,
      [subscriptionId, state.failures, state.firstFailureAt ?? null, state.nextAttemptAt ?? null, state.lastError ?? null],
    );
  }

  /** Removes a subscription's pending notifications (deleted or switched off) and its state. */
  async drop(subscriptionId: string): Promise<void> {
    await this.db.query('DELETE FROM subscription_delivery WHERE subscription_id = $1', [subscriptionId]);
    await this.db.query('DELETE FROM subscription_delivery_state WHERE subscription_id = $1', [subscriptionId]);
  }

  /** Drops notifications queued before `before` (SUBSCRIPTION_MAX_AGE_SECONDS); returns how many per subscription. */
  async expire(before: Date): Promise<Map<string, number>> {
    const { rows } = await this.db.query<{ subscription_id: string; n: number }>(
      `WITH gone AS (DELETE FROM subscription_delivery WHERE created_at < $1 RETURNING subscription_id)
       SELECT subscription_id, count(*)::int AS n FROM gone GROUP BY subscription_id`,
      [before],
    );
    return new Map(rows.map((r) => [r.subscription_id, r.n]));
  }
}
