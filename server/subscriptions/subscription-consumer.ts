/**
 * The `subscriptions` outbox consumer. Per batch of committed events:
 * 1. Subscriptions created or changed in the batch are reviewed (subscription-review.ts) and their
 *    new status written; deleted ones lose their pending notifications.
 * 2. For every live subscription, the batch's created/updated resources of its criteria type are
 *    matched with one search (criteria + `_id=` the changed ids); a match is notified only for the
 *    event that produced the version now current (older events of the same resource in the batch
 *    are superseded by it).
 * 3. rest-hook notifications are queued durably (idempotent per subscription and event), then the
 *    delivery worker is woken; websocket subscriptions are pinged.
 * Status writes produce Subscription events that step 1 reviews again and finds unchanged: no loop.
 */
import { randomUUID } from 'node:crypto';
import type { FhirServices, InteractionContext } from '../fhir/context.ts';
import type { OutboxBatch, OutboxEvent } from '../store/outbox.ts';
import type { DeliveryQueue, NewDelivery } from './delivery-queue.ts';
import { CriteriaError, matchingNow, parseCriteria, type Criteria } from './subscription-criteria.ts';
import { reviewSubscription } from './subscription-review.ts';
import { isLive, type SubscriptionView } from './subscription-resource.ts';
import { recordSubscriptionStatus } from './subscription-status.ts';
import type { SubscriptionDirectory } from './subscription-directory.ts';

export interface SubscriptionConsumerDeps {
  services: FhirServices;
  directory: SubscriptionDirectory;
  queue: DeliveryQueue;
  /** Pings websocket clients bound to these subscriptions. */
  ping(subscriptionIds: Set<string>): Promise<void>;
  /** Wakes the delivery worker after rest-hook notifications were queued. */
  wake(): void;
}

export function subscriptionConsumer(deps: SubscriptionConsumerDeps): (events: OutboxEvent[], batch?: OutboxBatch) => Promise<void> {
  const { services, directory, queue } = deps;
  const ctx: InteractionContext = { services, principal: { kind: 'system', subject: 'subscriptions' }, requestId: 'subscriptions' };
  const parsed = new Map<string, Criteria | undefined>();
  /** Criteria of a live subscription, parsed once per text; ones that no longer parse are skipped (the review marks them). */
  const criteriaOf = (s: SubscriptionView): Criteria | undefined => {
    if (!parsed.has(s.criteria)) {
      if (parsed.size > 10_000) parsed.clear();
      try {
        parsed.set(s.criteria, parseCriteria(ctx, s.criteria));
      } catch (error) {
        if (!(error instanceof CriteriaError)) throw error;
        parsed.set(s.criteria, undefined);
      }
    }
    return parsed.get(s.criteria);
  };

  return async (events, batch) => {
    const subscriptions = await directory.current(events, batch?.resumed ?? true);
    const changed = new Map<string, number>();
    for (const e of events) if (e.type === 'Subscription') changed.set(e.id, e.seq);
    // A subscription activated in this batch notifies only what was committed after the client's
    // write that it activates (the server's own status writes move nothing).
    const since = new Map<string, number>();
    for (const [id, seq] of changed) {
      const s = subscriptions.get(id);
      if (!s) {
        await queue.drop(id);
        continue;
      }
      const { change } = reviewSubscription(ctx, s);
      if (change && (await recordSubscriptionStatus(services.repository, id, change))) {
        subscriptions.set(id, { ...s, status: change.status, error: change.error === null ? undefined : (change.error ?? s.error) });
        if (change.status === 'active') since.set(id, seq);
      }
      if (change?.status === 'off') await queue.drop(id);
    }

    // The latest event per resource in this batch, by type (deletions notify nothing: R4 criteria match resources that exist).
    const latest = new Map<string, Map<string, OutboxEvent>>();
    for (const e of events) {
      if (e.action === 'delete') continue;
      let byId = latest.get(e.type);
      if (!byId) latest.set(e.type, (byId = new Map()));
      byId.set(e.id, e);
    }
    const deliveries: NewDelivery[] = [];
    const pinged = new Set<string>();
    for (const s of subscriptions.values()) {
      if (!isLive(s)) continue;
      const criteria = criteriaOf(s);
      const candidates = criteria && latest.get(criteria.type);
      if (!candidates) continue;
      for (const match of await matchingNow(ctx, criteria, [...candidates.keys()])) {
        const event = candidates.get(match.id);
        if (!event || event.version !== match.version || event.seq <= (since.get(s.id) ?? 0)) continue;
        if (s.channelType === 'websocket') pinged.add(s.id);
        else deliveries.push({ subscriptionId: s.id, eventSeq: event.seq, type: event.type, id: event.id, version: event.version });
      }
    }
    if (await queue.enqueue(deliveries)) deps.wake();
    if (pinged.size > 0) await deps.ping(pinged);
  };
}

