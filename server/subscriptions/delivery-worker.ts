/**
 * Delivers queued rest-hook notifications. Per subscription, in queue order: send, and on success
 * remove the row; on failure stop that subscription's queue until its retry time (exponential
 * backoff, capped, never giving up unless SUBSCRIPTION_MAX_AGE_SECONDS says so), record the
 * failure on the Subscription (status `error`, Subscription.error) and, once a delivery succeeds
 * again, set it back to `active`. Subscriptions are served concurrently, so one dead endpoint
 * delays nobody else. Queue and retry state live in the database: a restart resumes where the
 * last process stopped, at the retry times it had set. One process delivers at a time (advisory
 * lease), so a notification is not sent twice by two processes.
 */
import type { Logger } from '../log.ts';
import type { Database } from '../store/database.ts';
import type { Repository } from '../store/repository.ts';
import { readCurrent } from '../store/resource-reads.ts';
import type { DeliveryQueue } from './delivery-queue.ts';
import { retryDelayMs } from './retry-delay.ts';
import { sendRestHook } from './rest-hook.ts';
import type { DeliverySettings } from './subscription-settings.ts';
import { subscriptionView } from './subscription-resource.ts';
import { recordSubscriptionStatus } from './subscription-status.ts';

const LEASE_KEY = 7_341_030;
/** Subscriptions served per round, and notifications sent per subscription per round. */
const SUBSCRIPTIONS_PER_ROUND = 32;
const DELIVERIES_PER_ROUND = 100;

export class DeliveryWorker {
  private stopped = false;
  private wakeUp?: () => void;
  private woken = false;
  private loop?: Promise<void>;

  constructor(
    private readonly db: Database,
    private readonly repository: Repository,
    private readonly queue: DeliveryQueue,
    private readonly settings: DeliverySettings,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.woken = true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    await this.loop;
  }

  /** Sleeps up to `ms`; a wake() during the previous round ends the sleep at once. */
  private sleep(ms: number): Promise<void> {
    if (this.woken || this.stopped) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.wakeUp = done;
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const lease = await this.db.tryLease(LEASE_KEY).catch(() => undefined);
      if (!lease) {
        await this.sleep(this.settings.pollMs);
        continue;
      }
      try {
        while (!this.stopped) {
          if (this.settings.maxAgeSeconds > 0) await this.expire();
          const due = await this.queue.due(new Date(), SUBSCRIPTIONS_PER_ROUND);
          if (due.length === 0) {
            const next = await this.queue.nextRetryAt();
            await this.sleep(next ? Math.min(this.settings.pollMs, next.getTime() - Date.now()) : this.settings.pollMs);
            continue;
          }
          await Promise.all(due.map((id) => this.deliverFor(id)));
        }
      } catch (error) {
        if (!this.stopped) {
          this.log.warn({ err: error }, 'subscription delivery worker failed; retrying');
          await this.sleep(this.settings.pollMs);
        }
      } finally {
        await lease.release().catch(() => undefined);
      }
    }
  }

  private async deliverFor(subscriptionId: string): Promise<void> {
    const current = await readCurrent(this.db, 'Subscription', subscriptionId);
    const subscription = current?.json ? subscriptionView(current.json) : undefined;
    if (!subscription || subscription.status === 'off' || subscription.channelType !== 'rest-hook' || !subscription.endpoint) {
      await this.queue.drop(subscriptionId);
      return;
    }
    // `requested`: not reviewed yet (the consumer queues only for live subscriptions, so this is a
    // client's later change): wait for the review rather than send to an unchecked endpoint.
    if (subscription.status === 'requested') return;
    const state = await this.queue.state(subscriptionId);
    for (const delivery of await this.queue.pending(subscriptionId, DELIVERIES_PER_ROUND)) {
      if (this.stopped) return;
      const result = await sendRestHook(this.db, subscription, delivery, this.settings.timeoutMs);
      if (!result.ok) {
        const failures = state.failures + 1;
        const now = new Date();
        const firstFailureAt = state.firstFailureAt ?? now;
        const nextAttemptAt = new Date(now.getTime() + retryDelayMs(this.settings, failures));
        await this.queue.failed(subscriptionId, { failures, firstFailureAt, nextAttemptAt, lastError: result.reason });
        this.log.warn({ subscription: subscriptionId, failures, reason: result.reason, nextAttemptAt }, 'rest-hook delivery failed');
        await recordSubscriptionStatus(this.repository, subscriptionId, {
          status: 'error',
          error: `rest-hook delivery failing since ${firstFailureAt.toISOString()}: ${result.reason}; retrying with backoff`,
        });
        return;
      }
      await this.queue.delivered(delivery);
      if (state.failures > 0) {
        state.failures = 0;
        state.firstFailureAt = undefined;
        await recordSubscriptionStatus(this.repository, subscriptionId, { status: 'active', error: null });
      }
    }
  }

  private async expire(): Promise<void> {
    const dropped = await this.queue.expire(new Date(Date.now() - this.settings.maxAgeSeconds * 1000));
    for (const [subscriptionId, count] of dropped) {
      this.log.warn({ subscription: subscriptionId, count }, 'rest-hook notifications dropped after SUBSCRIPTION_MAX_AGE_SECONDS');
      await recordSubscriptionStatus(this.repository, subscriptionId, {
        status: 'error',
        error: `${count} rest-hook notification(s) dropped after ${this.settings.maxAgeSeconds} s without a successful delivery`,
      });
    }
  }
}
