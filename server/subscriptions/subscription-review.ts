/**
 * What the server decides about a Subscription when it is created or changed: `requested` becomes
 * `active` once its criteria parse as a search the server supports and its channel is one it can
 * serve; anything it cannot serve becomes `error` with the reason in Subscription.error; a
 * subscription past its `end` is turned `off`. Decisions are pure: the consumer writes them.
 */
import type { InteractionContext } from '../fhir/context.ts';
import { JSON_PAYLOADS } from './rest-hook.ts';
import { CriteriaError, parseCriteria, type Criteria } from './subscription-criteria.ts';
import type { SubscriptionView } from './subscription-resource.ts';
import type { StatusChange } from './subscription-status.ts';

/** Prefix of errors the review sets, so a fixed subscription can leave `error` again. */
export const INVALID = 'Invalid subscription: ';

export interface Review {
  /** Parsed criteria when the subscription can be served. */
  criteria?: Criteria;
  /** The status change to record, if any. */
  change?: StatusChange;
}

function problem(ctx: InteractionContext, s: SubscriptionView): { reason?: string; criteria?: Criteria } {
  let criteria: Criteria;
  try {
    criteria = parseCriteria(ctx, s.criteria);
  } catch (error) {
    if (error instanceof CriteriaError) return { reason: `criteria '${s.criteria.slice(0, 200)}': ${error.message}` };
    throw error;
  }
  if (s.channelType === 'rest-hook') {
    if (!s.endpoint || !/^https?:\/\/[^/]/.test(s.endpoint)) return { reason: 'a rest-hook channel needs an absolute http(s) endpoint' };
    if (s.payload !== undefined && !JSON_PAYLOADS.has(s.payload.split(';')[0].trim())) return { reason: `payload ${s.payload} is not supported (application/fhir+json, or none)` };
  } else if (s.channelType !== 'websocket') {
    return { reason: `channel type ${s.channelType} is not supported (rest-hook, websocket)` };
  }
  return { criteria };
}

export function reviewSubscription(ctx: InteractionContext, s: SubscriptionView, now = Date.now()): Review {
  if (s.status === 'off') return {};
  if (s.end !== undefined && Date.parse(s.end) <= now) return { change: { status: 'off' } };
  const { reason, criteria } = problem(ctx, s);
  if (reason) {
    const error = INVALID + reason;
    return s.status === 'error' && s.error === error ? {} : { change: { status: 'error', error } };
  }
  if (s.status === 'requested') return { criteria, change: { status: 'active', error: null } };
  // An `error` the review set earlier and the client has since fixed: serve it again.
  if (s.status === 'error' && s.error?.startsWith(INVALID)) return { criteria, change: { status: 'active', error: null } };
  return { criteria };
}
