/**
 * Exponential backoff for failing rest-hook endpoints. Retrying never stops by itself (see
 * SUBSCRIPTION_MAX_AGE_SECONDS): a receiver that is down for a day gets its notifications when it
 * comes back, at most one retry interval later.
 */
import type { DeliverySettings } from './subscription-settings.ts';

/** Delay before attempt `failures + 1`: base · 2^(failures − 1), capped, with ±10 % jitter so endpoints recovering together are not hit in step. */
export function retryDelayMs(settings: Pick<DeliverySettings, 'retryBaseMs' | 'retryMaxMs'>, failures: number, random = Math.random): number {
  const exponential = settings.retryBaseMs * 2 ** Math.min(Math.max(failures - 1, 0), 40);
  return Math.round(Math.min(settings.retryMaxMs, exponential) * (0.9 + 0.2 * random()));
}
