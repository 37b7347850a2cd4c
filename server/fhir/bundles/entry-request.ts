import { badRequest } from '../outcome.ts';
import { parseQueryString, type FhirMethod, type FhirRequest } from '../request.ts';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

export interface BundleEntry {
  fullUrl?: string;
  resource?: Record<string, any>;
  request?: { method?: string; url?: string; ifNoneMatch?: string; ifModifiedSince?: string; ifMatch?: string; ifNoneExist?: string };
}

/** A Bundle entry's request as a FhirRequest, so it runs through the same router as HTTP. */
export function entryRequest(entry: BundleEntry, index: number, baseUrl: string, prefer?: string): FhirRequest {
  const location = `Bundle.entry[${index}]`;
  const request = entry.request;
  if (!request || typeof request !== 'object') throw badRequest(`${location} has no request`, [`${location}.request`], 'required');
  const method = String(request.method ?? '').toUpperCase();
  if (!METHODS.has(method)) throw badRequest(`${location}.request.method '${String(request.method)}' is not an HTTP method FHIR uses`, [`${location}.request.method`], 'value');
  if (typeof request.url !== 'string' || request.url.length === 0) throw badRequest(`${location} has no request.url`, [`${location}.request.url`], 'required');
  let url = request.url;
  if (url.startsWith(baseUrl + '/')) url = url.slice(baseUrl.length + 1);
  else if (/^https?:\/\//.test(url)) throw badRequest(`${location}.request.url must be relative to this server ('${url.slice(0, 100)}')`, [`${location}.request.url`], 'value');
  url = url.replace(/^\//, '');
  const question = url.indexOf('?');
  return {
    method: method as FhirMethod,
    path: question < 0 ? url : url.slice(0, question),
    query: question < 0 ? [] : parseQueryString(url.slice(question + 1)),
    headers: {
      ifMatch: request.ifMatch,
      ifNoneMatch: request.ifNoneMatch,
      ifModifiedSince: request.ifModifiedSince,
      ifNoneExist: request.ifNoneExist,
      prefer,
      contentType: entry.resource?.resourceType === 'Binary' ? entry.resource.contentType : 'application/fhir+json',
    },
    body: entry.resource,
    location,
  };
}

/** DELETE, then POST, then PUT/PATCH, then GET/HEAD — the order the spec gives for processing. */
export function processingRank(method: string): number {
  switch (method) {
    case 'DELETE':
      return 0;
    case 'POST':
      return 1;
    case 'PUT':
    case 'PATCH':
      return 2;
    default:
      return 3;
  }
}
