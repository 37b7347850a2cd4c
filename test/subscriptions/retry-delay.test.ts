import { describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../server/subscriptions/retry-delay.ts';
import { loadConfig } from '../../server/config.ts';
import { deliverySettings } from '../../server/subscriptions/subscription-settings.ts';

describe('rest-hook retry delay', () => {
  const settings = { retryBaseMs: 1000, retryMaxMs: 3_600_000 };
  const mid = () => 0.5;

  it('doubles from the base delay and stops growing at the cap', () => {
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(settings, n, mid))).toEqual([1000, 2000, 4000, 8000, 16000]);
    expect(retryDelayMs(settings, 13, mid)).toBe(3_600_000);
    expect(retryDelayMs(settings, 10_000, mid)).toBe(3_600_000);
  });

  it('spreads retries by ±10 %', () => {
    expect(retryDelayMs(settings, 3, () => 0)).toBe(3600);
    expect(retryDelayMs(settings, 3, () => 0.999999)).toBe(4400);
  });

  it('takes its settings from the server configuration, never giving up by default', () => {
    expect(deliverySettings(loadConfig({}, []))).toEqual({ retryBaseMs: 1000, retryMaxMs: 3_600_000, maxAgeSeconds: 0, timeoutMs: 10_000, pollMs: 1000 });
    expect(deliverySettings(loadConfig({ SUBSCRIPTION_RETRY_BASE_MS: '50', SUBSCRIPTION_MAX_AGE_SECONDS: '86400' }, []))).toMatchObject({ retryBaseMs: 50, maxAgeSeconds: 86400 });
    expect(() => deliverySettings(loadConfig({ SUBSCRIPTION_RETRY_BASE_MS: 'soon' }, []))).toThrow(/SUBSCRIPTION_RETRY_BASE_MS/);
  });
});
