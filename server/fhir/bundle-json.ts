import { randomUUID } from 'node:crypto';

/**
 * Bundles are assembled as text around the stored JSON of each entry, so a search page of a
 * thousand resources is served without parsing or re-serializing any of them.
 */
export interface BundleLink {
  relation: string;
  url: string;
}

export interface BundleEntryText {
  fullUrl?: string;
  /** Stored JSON text of the resource, if any. */
  resource?: string;
  /** Other entry members (search, request, response) as plain JSON values. */
  extra?: Record<string, unknown>;
}

export function bundleJson(type: string, entries: BundleEntryText[], options: { total?: number; links?: BundleLink[] } = {}): string {
  const head: Record<string, unknown> = {
    resourceType: 'Bundle',
    id: randomUUID(),
    meta: { lastUpdated: new Date().toISOString() },
    type,
  };
  if (options.total !== undefined) head.total = options.total;
  if (options.links?.length) head.link = options.links;
  const headText = JSON.stringify(head);
  if (entries.length === 0) return headText;
  // A module function, not a callback made per bundle (server/ingest/README.md, "Optimized code").
  const entryTexts = entries.map(entryText);
  return `${headText.slice(0, -1)},"entry":[${entryTexts.join(',')}]}`;
}

function entryText(entry: BundleEntryText): string {
  const parts: string[] = [];
  if (entry.fullUrl !== undefined) parts.push(`"fullUrl":${JSON.stringify(entry.fullUrl)}`);
  if (entry.resource !== undefined) parts.push(`"resource":${entry.resource}`);
  for (const [key, value] of Object.entries(entry.extra ?? {})) parts.push(`${JSON.stringify(key)}:${JSON.stringify(value)}`);
  return `{${parts.join(',')}}`;
}

/** A query string from name/value pairs, keeping order and repeats. */
export function queryString(pairs: Array<[string, string]>): string {
  return pairs.map(([name, value]) => `${encodeURIComponent(name).replace(/%3A/gi, ':')}=${encodeURIComponent(value)}`).join('&');
}
