/** A reference split into what search compares: local type/id/version, or an absolute URL. */
export interface ReferenceParts {
  type?: string;
  id?: string;
  version?: string;
  url?: string;
}

const RELATIVE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/([A-Za-z0-9\-.]{1,64}))?$/;

/**
 * Parses a literal reference. Absolute URLs on this server's base are treated as local, so
 * `http://host/fhir/Patient/1` and `Patient/1` index (and match) the same.
 */
export function referenceParts(reference: string, baseUrl: string): ReferenceParts | undefined {
  if (!reference || reference.startsWith('#')) return undefined;
  let text = reference;
  if (baseUrl && text.startsWith(baseUrl + '/')) text = text.slice(baseUrl.length + 1);
  const local = RELATIVE.exec(text);
  if (local) return { type: local[1], id: local[2], version: local[3] };
  const absolute = /^(https?:\/\/.+)\/([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/([A-Za-z0-9\-.]{1,64}))?$/.exec(reference);
  // Another server's resource: comparable by URL (and typed for :[type]), never by our ids.
  if (absolute) return { type: absolute[2], url: reference };
  return { url: reference };
}
