/**
 * Delivery settings of the subscriptions feature. They are read from the environment here, with
 * the same zod checks as server/config.ts, until they move into the one server configuration.
 */
import { z } from 'zod';

const ms = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

const schema = z.object({
  /** First retry delay; each further failure doubles it. */
  SUBSCRIPTION_RETRY_BASE_MS: ms(1000),
  /** Upper bound of the retry delay (HAPI gives up after about a minute; this never does by default). */
  SUBSCRIPTION_RETRY_MAX_MS: ms(60 * 60 * 1000),
  /** Pending notifications older than this many seconds are dropped; 0 keeps retrying forever. */
  SUBSCRIPTION_MAX_AGE_SECONDS: z.coerce.number().int().min(0).default(0),
  /** Time allowed for one rest-hook request. */
  SUBSCRIPTION_TIMEOUT_MS: ms(10_000),
  /** How often the delivery worker looks for due notifications when nothing wakes it. */
  SUBSCRIPTION_POLL_MS: ms(1000),
});

export interface DeliverySettings {
  retryBaseMs: number;
  retryMaxMs: number;
  /** 0: never give up. */
  maxAgeSeconds: number;
  timeoutMs: number;
  pollMs: number;
}

export function deliverySettings(env: NodeJS.ProcessEnv = process.env): DeliverySettings {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(schema.shape)) if (env[key] !== undefined && env[key] !== '') input[key] = env[key];
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new Error(`Invalid subscription settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const c = parsed.data;
  return { retryBaseMs: c.SUBSCRIPTION_RETRY_BASE_MS, retryMaxMs: c.SUBSCRIPTION_RETRY_MAX_MS, maxAgeSeconds: c.SUBSCRIPTION_MAX_AGE_SECONDS, timeoutMs: c.SUBSCRIPTION_TIMEOUT_MS, pollMs: c.SUBSCRIPTION_POLL_MS };
}
