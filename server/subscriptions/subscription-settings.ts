/** Delivery settings of the subscriptions feature, taken from the one server configuration. */
import type { Config } from '../config.ts';

export interface DeliverySettings {
  retryBaseMs: number;
  retryMaxMs: number;
  /** 0: never give up. */
  maxAgeSeconds: number;
  timeoutMs: number;
  pollMs: number;
}

export function deliverySettings(config: Config): DeliverySettings {
  return {
    retryBaseMs: config.SUBSCRIPTION_RETRY_BASE_MS,
    retryMaxMs: config.SUBSCRIPTION_RETRY_MAX_MS,
    maxAgeSeconds: config.SUBSCRIPTION_MAX_AGE_SECONDS,
    timeoutMs: config.SUBSCRIPTION_TIMEOUT_MS,
    pollMs: config.SUBSCRIPTION_POLL_MS,
  };
}
