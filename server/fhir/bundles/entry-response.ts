import { parseJson } from '../json/index.ts';
import { FhirError, operationOutcome } from '../outcome.ts';
import type { FhirResponse } from '../request.ts';

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No Content', 304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized',
  403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 410: 'Gone',
  412: 'Precondition Failed', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity', 500: 'Internal Server Error',
};

export function statusLine(status: number): string {
  return `${status} ${STATUS_TEXT[status] ?? ''}`.trim();
}

/** A response entry: { fullUrl?, resource?, response{status, location, etag, lastModified, outcome?} } as JSON text parts. */
export function entryFromResponse(response: FhirResponse, baseUrl: string): { fullUrl?: string; resource?: string; extra: Record<string, unknown> } {
  const headers = response.headers ?? {};
  const location = headers.Location?.startsWith(baseUrl + '/') ? headers.Location.slice(baseUrl.length + 1) : headers.Location;
  const lastModified = headers['Last-Modified'] ? new Date(headers['Last-Modified']).toISOString() : undefined;
  const body = response.body;
  const resourceText = body ? ('json' in body ? body.json : JSON.stringify(body.resource)) : undefined;
  const isOutcome = body && 'resource' in body && (body.resource as any)?.resourceType === 'OperationOutcome' && response.status >= 400;
  const resourceType = resourceText && !isOutcome ? (parseJson(resourceText) as any).resourceType : undefined;
  const fullUrl = location && resourceType ? `${baseUrl}/${location.replace(/\/_history\/.*$/, '')}` : undefined;
  return {
    fullUrl,
    resource: isOutcome ? undefined : resourceText,
    extra: {
      response: {
        status: statusLine(response.status),
        ...(location ? { location } : {}),
        ...(headers.ETag ? { etag: headers.ETag } : {}),
        ...(lastModified ? { lastModified } : {}),
        ...(isOutcome ? { outcome: (body as { resource: unknown }).resource } : {}),
      },
    },
  };
}

export function entryFromError(error: unknown): { extra: Record<string, unknown> } {
  const fhirError = error instanceof FhirError ? error : new FhirError(500, { severity: 'fatal', code: 'exception', diagnostics: 'Internal error processing this entry' });
  return { extra: { response: { status: statusLine(fhirError.status), outcome: operationOutcome(fhirError.issues) } } };
}
