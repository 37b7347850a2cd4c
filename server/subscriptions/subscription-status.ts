/**
 * Records a subscription's state on the Subscription itself (status and error), through the one
 * write path. Only changes are written: the resulting outbox event reaches the subscriptions
 * consumer, which finds nothing left to change, so a status write never feeds itself. The write
 * is conditional on the version read (If-Match); a client's concurrent update wins and the state
 * is recorded on the next change.
 */
import type { Repository } from '../store/repository.ts';
import { readCurrent } from '../store/resource-reads.ts';
import { VersionConflictError } from '../store/write-errors.ts';
import type { SubscriptionStatus } from './subscription-resource.ts';

export interface StatusChange {
  status: SubscriptionStatus;
  /** New Subscription.error; null removes it; undefined keeps it. */
  error?: string | null;
}

/** Applies the change unless the Subscription already says so; returns whether a version was written. */
export async function recordSubscriptionStatus(repository: Repository, id: string, change: StatusChange): Promise<boolean> {
  const current = await readCurrent(repository.db, 'Subscription', id);
  if (!current || current.deleted) return false;
  const resource = JSON.parse(current.json!) as Record<string, unknown>;
  const error = change.error === undefined ? resource.error : (change.error ?? undefined);
  if (resource.status === change.status && resource.error === error) return false;
  const { error: _old, ...rest } = resource;
  const next: Record<string, unknown> = {};
  // Keep the element order of R4 (status, ..., error after criteria) so the JSON reads naturally.
  for (const [key, value] of Object.entries(rest)) {
    next[key] = key === 'status' ? change.status : value;
    if (key === 'criteria' && error !== undefined) next.error = error;
  }
  if (error !== undefined && !('error' in next)) next.error = error;
  try {
    await repository.write([{ action: 'update', method: 'PUT', type: 'Subscription', id, resource: next, ifMatch: current.version }]);
    return true;
  } catch (e) {
    if (e instanceof VersionConflictError) return false;
    throw e;
  }
}
