/**
 * A FHIR interaction request independent of HTTP: the REST layer builds one per HTTP request and
 * the bundle processors build one per entry, so both go through the same router, the same
 * authorization check and the same interaction code.
 */
export type FhirMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface FhirRequest {
  method: FhirMethod;
  /** Path below the FHIR base without leading slash, e.g. "Patient/1/_history/2". */
  path: string;
  /** Query parameters in request order (names may repeat). */
  query: Array<[string, string]>;
  headers: FhirRequestHeaders;
  /** Parsed JSON body (resources keep decimal precision as FhirDecimal). */
  body?: unknown;
  /** Raw body text, for bodies that are not FHIR JSON (device payloads, form posts). */
  bodyText?: string;
  /**
   * The body as it arrives, instead of body/bodyText, for operations that declare `streamsBody`
   * (device uploads): read once, after authorization; reading past MAX_BODY_BYTES throws 413.
   */
  bodyStream?: AsyncIterable<Uint8Array>;
  /** Where this request sits, for error locations: "Bundle.entry[3]" inside bundles. */
  location?: string;
}

export interface FhirRequestHeaders {
  contentType?: string;
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifNoneExist?: string;
  prefer?: string;
}

export type FhirBody = { json: string } | { resource: unknown };

export interface FhirResponse {
  status: number;
  headers?: Record<string, string>;
  body?: FhirBody;
}

export function queryValue(query: Array<[string, string]>, name: string): string | undefined {
  for (const [key, value] of query) if (key === name) return value;
  return undefined;
}

export function parseQueryString(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [key, value] of new URLSearchParams(text)) out.push([key, value]);
  return out;
}
