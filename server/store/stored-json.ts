import { stringifyJson } from '../fhir/json/index.ts';

/**
 * The exact JSON text stored (and served, and hashed by provenance) for a resource version:
 * resourceType, id and meta first, server-owned meta fields set, the client's other content
 * and order kept as sent.
 */
export function storedJson(resource: Record<string, any>, id: string, version: number, lastUpdated: string): string {
  const { resourceType, id: _clientId, meta, ...rest } = resource;
  const { versionId: _v, lastUpdated: _l, ...clientMeta } = (meta ?? {}) as Record<string, unknown>;
  return stringifyJson({ resourceType, id, meta: { versionId: String(version), lastUpdated, ...clientMeta }, ...rest });
}
