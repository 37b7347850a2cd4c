/**
 * The current Subscription resources, kept in memory and refreshed cheaply per batch: one query
 * lists (id, version) of every Subscription and only changed ones are re-read. The consumer may
 * move between processes (outbox lease), so the directory never trusts its own history.
 */
import type { Queryable } from '../store/database.ts';
import { readByRids } from '../store/resource-reads.ts';
import { subscriptionView, type SubscriptionView } from './subscription-resource.ts';

export class SubscriptionDirectory {
  private cache = new Map<string, SubscriptionView>();

  constructor(private readonly db: Queryable) {}

  /** A copy the caller may change while it works on a batch. */
  async current(): Promise<Map<string, SubscriptionView>> {
    const { rows } = await this.db.query<{ rid: number; id: string; version: number }>(
      `SELECT rid, id, version FROM resource WHERE type = 'Subscription' AND NOT deleted`,
    );
    const stale = rows.filter((r) => this.cache.get(r.id)?.version !== r.version);
    const next = new Map<string, SubscriptionView>();
    for (const r of rows) {
      const cached = this.cache.get(r.id);
      if (cached && cached.version === r.version) next.set(r.id, cached);
    }
    for (const stored of await readByRids(this.db, stale.map((r) => Number(r.rid)))) next.set(stored.id, subscriptionView(stored.json!));
    this.cache = next;
    return new Map(next);
  }
}
