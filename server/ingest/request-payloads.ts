import { detectMapping, detectMappingFromValue } from '../../mappings/detect.ts';
import { DEVICE_ID_SYSTEM } from '../../mappings/identity.ts';
import type { PayloadContext, PayloadInput } from '../../mappings/payload.ts';
import { splitBodySync } from '../../mappings/split/split-body.ts';
import { badRequest } from '../fhir/outcome.ts';
import { queryValue, type FhirRequest } from '../fhir/request.ts';
import { isJsonMediaType, mediaType } from '../http/body.ts';

/**
 * A device payload body held whole: raw text (NDJSON, HL7 v2, XML, or any non-JSON content type;
 * MQTT messages, $map) or a JSON value already parsed (a bundle entry's resource; kept as is:
 * parsing it twice would double the cost).
 */
export type WholeBody = { kind: 'text'; text: string; contentType?: string } | { kind: 'json'; value: unknown };

/**
 * A body read off the socket as it arrives ($ingest over HTTP). `json`: the Content-Type says
 * JSON (or is absent), so the body is one JSON value or an array of payloads, as the HTTP layer
 * reads JSON bodies (splitBody's `json` option).
 */
export type StreamBody = { kind: 'stream'; chunks: AsyncIterable<Uint8Array>; contentType?: string; json: boolean };

export type IngestBody = WholeBody | StreamBody;

export function streamBodyOf(request: FhirRequest): StreamBody | undefined {
  if (!request.bodyStream) return undefined;
  const contentType = request.headers.contentType;
  return { kind: 'stream', chunks: request.bodyStream, ...(contentType ? { contentType } : {}), json: isJsonMediaType(mediaType(contentType)) };
}

export function bodyOf(request: FhirRequest): WholeBody | undefined {
  if (request.bodyText !== undefined) return request.bodyText.trim() === '' ? undefined : { kind: 'text', text: request.bodyText, contentType: request.headers.contentType };
  if (request.body !== undefined) return { kind: 'json', value: request.body };
  return undefined;
}

/** Payloads of a body, lazily (splitting errors surface as PayloadError while iterating). */
export function* payloadsOf(body: WholeBody, context?: PayloadContext): Generator<PayloadInput> {
  if (body.kind === 'text') {
    yield* splitBodySync(body.text, body.contentType, context);
    return;
  }
  const items = Array.isArray(body.value) ? body.value : [body.value];
  for (let index = 0; index < items.length; index++) {
    yield { index, format: 'json', body: items[index], ...(items.length === 1 && !Array.isArray(body.value) ? { line: 1 } : {}), ...(context ? { context } : {}) };
  }
}

export function detectBodyMapping(body: WholeBody): string | undefined {
  return body.kind === 'text' ? detectMapping(body.text, body.contentType) : detectMappingFromValue(body.value);
}

/** `system|value`, or a bare id in the generic device-id system. */
export function deviceFromText(text: string): { system: string; value: string } {
  const bar = text.indexOf('|');
  return bar > 0 && bar < text.length - 1 ? { system: text.slice(0, bar), value: text.slice(bar + 1) } : { system: DEVICE_ID_SYSTEM, value: text };
}

/**
 * Facts the caller adds for payloads that lack them: `device` (system|value; Fitbit, Withings
 * and Open mHealth bodies often name none), `patient` (Patient/123 or system|value), `timeZone`
 * (IANA or ±hh:mm, for local device times). The reception time stamps readings without a time.
 */
export function contextFromQuery(query: Array<[string, string]>, receivedAt = new Date().toISOString()): PayloadContext {
  const context: PayloadContext = { receivedAt };
  const device = queryValue(query, 'device');
  if (device !== undefined) {
    if (device.trim() === '') throw badRequest('Parameter device is empty; give system|value or an id', ['device'], 'required');
    context.device = deviceFromText(device.trim());
  }
  const patient = queryValue(query, 'patient');
  if (patient !== undefined && patient.trim() !== '') context.patient = patient.trim();
  const timeZone = queryValue(query, 'timeZone') ?? queryValue(query, 'time-zone');
  if (timeZone !== undefined && timeZone.trim() !== '') {
    if (!validTimeZone(timeZone.trim())) throw badRequest(`Parameter timeZone '${timeZone.slice(0, 64)}' is neither an IANA zone nor an offset like +02:00`, ['timeZone'], 'value');
    context.timeZone = timeZone.trim();
  }
  return context;
}

function validTimeZone(zone: string): boolean {
  if (/^[+-](0\d|1[0-4]):[0-5]\d$/.test(zone) || zone === 'Z' || zone === 'UTC') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
