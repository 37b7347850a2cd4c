/** The parts of an R4 Subscription the server acts on, read from its stored JSON. */
type Json = Record<string, any>;

export type SubscriptionStatus = 'requested' | 'active' | 'error' | 'off';

export interface SubscriptionView {
  id: string;
  version: number;
  status: SubscriptionStatus;
  criteria: string;
  channelType: string;
  endpoint?: string;
  /** Mime type of the payload; absent means an empty notification. */
  payload?: string;
  /** channel.header entries, "Name: value". */
  headers: string[];
  end?: string;
  error?: string;
}

export function subscriptionView(json: string): SubscriptionView {
  const r = JSON.parse(json) as Json;
  const channel = (r.channel ?? {}) as Json;
  return {
    id: String(r.id),
    version: Number(r.meta?.versionId),
    status: r.status,
    criteria: String(r.criteria ?? ''),
    channelType: String(channel.type ?? ''),
    endpoint: typeof channel.endpoint === 'string' ? channel.endpoint : undefined,
    payload: typeof channel.payload === 'string' ? channel.payload : undefined,
    headers: Array.isArray(channel.header) ? channel.header.map(String) : [],
    end: typeof r.end === 'string' ? r.end : undefined,
    error: typeof r.error === 'string' ? r.error : undefined,
  };
}

/** Notifications flow for active subscriptions, and for those in error (a failing endpoint is retried, never dropped). */
export function isLive(s: SubscriptionView, now = Date.now()): boolean {
  return (s.status === 'active' || s.status === 'error') && !(s.end !== undefined && Date.parse(s.end) <= now);
}
