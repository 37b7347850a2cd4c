import type { Response } from 'express';
import { parseJson, stringifyJson } from '../fhir/json/index.ts';
import type { FhirResponse } from '../fhir/request.ts';
import type { OutputFormat } from './negotiation.ts';

/** Writes a FhirResponse. Stored JSON goes out byte for byte unless _pretty asks for indentation. */
export function sendFhir(res: Response, response: FhirResponse, format: OutputFormat, head: boolean): void {
  res.status(response.status);
  for (const [name, value] of Object.entries(response.headers ?? {})) res.setHeader(name, value);
  if (!response.body || response.status === 304 || response.status === 204) {
    res.end();
    return;
  }
  let text = 'json' in response.body ? response.body.json : stringifyJson(response.body.resource);
  if (format.pretty) text = stringifyJson(parseJson(text), true);
  res.setHeader('Content-Type', `${format.contentType}; charset=utf-8`);
  // Encoded once, here: a large body then waits for the socket as off-heap bytes rather than as a
  // string the collector copies and promotes while other requests run.
  const bytes = Buffer.from(text, 'utf8');
  res.setHeader('Content-Length', bytes.length);
  if (head) res.end();
  else res.end(bytes);
}
