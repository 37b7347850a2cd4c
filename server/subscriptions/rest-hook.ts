/**
 * Sends one R4 rest-hook notification. Without channel.payload the server POSTs an empty body to
 * the endpoint ("something changed, come and search"); with a payload (application/fhir+json) it
 * updates the resource at the endpoint: PUT [endpoint]/[type]/[id] with the notified version as
 * the body, as R4 describes and HAPI does. channel.header entries ("Name: value") are sent as
 * headers. Any 2xx is success; anything else, a timeout or a network error is a failure with a
 * short reason (never the payload: it is PHI).
 */
import type { Queryable } from '../store/database.ts';
import { readVersion } from '../store/resource-reads.ts';
import type { PendingDelivery } from './delivery-queue.ts';
import type { SubscriptionView } from './subscription-resource.ts';

export type DeliveryResult = { ok: true } | { ok: false; reason: string };

/** Payload mime types accepted on rest-hook channels (XML is not produced by this server). */
export const JSON_PAYLOADS = new Set(['application/fhir+json', 'application/json', 'application/json+fhir']);

export function headerPairs(headers: readonly string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const header of headers) {
    const colon = header.indexOf(':');
    if (colon > 0) pairs.push([header.slice(0, colon).trim(), header.slice(colon + 1).trim()]);
  }
  return pairs;
}

export async function sendRestHook(db: Queryable, subscription: SubscriptionView, delivery: PendingDelivery, timeoutMs: number): Promise<DeliveryResult> {
  const headers = new Headers(headerPairs(subscription.headers));
  let url = subscription.endpoint!;
  let init: RequestInit = { method: 'POST', headers };
  if (subscription.payload !== undefined) {
    const version = await readVersion(db, delivery.type, delivery.id, delivery.version);
    // A version deleted meanwhile has nothing to send: a later event tells the endpoint.
    if (!version?.json) return { ok: true };
    url = `${url.replace(/\/+$/, '')}/${delivery.type}/${delivery.id}`;
    headers.set('Content-Type', 'application/fhir+json');
    init = { method: 'PUT', headers, body: version.json };
  }
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    await response.arrayBuffer().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { ok: true };
    return { ok: false, reason: `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}` };
  } catch (error) {
    return { ok: false, reason: networkReason(error, timeoutMs) };
  }
}

function networkReason(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.code) return `network error ${cause.code}`;
  return `network error: ${error instanceof Error ? error.message : String(error)}`.slice(0, 200);
}
