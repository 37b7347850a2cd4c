/**
 * The current Subscription resources, kept in memory. Every change of a Subscription is an outbox
 * event, and the consumer sees the outbox in commit order, so while it keeps its lease a batch
 * only needs the Subscriptions it names re-read. When the consumer (re)starts — it may have moved
 * between processes (outbox lease), with batches handled elsewhere meanwhile — the directory lists
 * all of them again: one query of (id, version), re-reading only changed ones. A device stream
 * therefore costs the directory nothing per batch (it used to list every Subscription each time).
 */
import type { Queryable } from '../store/database.ts';
import type { OutboxEvent } from '../store/outbox.ts';
import { readByRids } from '../store/resource-reads.ts';
import { subscriptionView, type SubscriptionView } from './subscription-resource.ts';

export class SubscriptionDirectory {
  private cache = new Map<string, SubscriptionView>();
  private loaded = false;

  constructor(private readonly db: Queryable) {}

  /** Known to hold no Subscription at all (false until first loaded). */
  get empty(): boolean {
    return this.loaded && this.cache.size === 0;
  }

  /** A copy the caller may change while it works on the batch. */
  async current(events: readonly OutboxEvent[], resumed: boolean): Promise<Map<string, SubscriptionView>> {
    if (resumed || !this.loaded) await this.reload();
    else await this.refresh(events.filter((event) => event.type === 'Subscription'));
    return new Map(this.cache);
  }

  private async reload(): Promise<void> {
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
    this.loaded = true;
  }

  /** Re-reads the Subscriptions the batch changed: their current version, or gone when deleted. */
  private async refresh(changed: OutboxEvent[]): Promise<void> {
    if (changed.length === 0) return;
    const rids = [...new Set(changed.map((event) => event.rid))];
    for (const event of changed) this.cache.delete(event.id);
    for (const stored of await readByRids(this.db, rids)) this.cache.set(stored.id, subscriptionView(stored.json!));
  }
}
