import type { IncomingMessage } from 'node:http';
import { JsonSyntaxError, parseJson } from '../fhir/json/index.ts';
import { FhirError } from '../fhir/outcome.ts';
import type { FhirRequest } from '../fhir/request.ts';

const JSON_TYPES = ['application/fhir+json', 'application/json', 'application/json-patch+json'];

export function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0].trim().toLowerCase() || undefined;
}

export function isJsonMediaType(type: string | undefined): boolean {
  return type === undefined || JSON_TYPES.includes(type) || /\+json$/.test(type);
}

/**
 * Reads a request body up to the configured limit. A declared Content-Length over the limit is
 * refused before reading; a body that grows past it is cut off. Either way: 413, nothing kept.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      throw tooLarge(limit);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size);
}

/**
 * Reads a whole body into the request: JSON media types parsed (request.body), form posts and
 * operation bodies as text (request.bodyText); anything else is 415.
 */
export async function readWholeBody(req: IncomingMessage, request: FhirRequest, limit: number): Promise<void> {
  const bytes = await readBody(req, limit);
  const type = mediaType(request.headers.contentType);
  if (isJsonMediaType(type)) request.body = parseJsonBody(bytes);
  else if (type === 'application/x-www-form-urlencoded' || request.path.includes('$')) request.bodyText = bytes.toString('utf8');
  else {
    throw new FhirError(415, {
      severity: 'error',
      code: 'not-supported',
      diagnostics: `Content-Type '${type}' is not supported; send application/fhir+json${type?.includes('xml') ? ' (XML is not implemented)' : ''}`,
    });
  }
}

export function tooLarge(limit: number): FhirError {
  return new FhirError(413, { severity: 'error', code: 'too-long', diagnostics: `Request body exceeds the limit of ${limit} bytes (MAX_BODY_BYTES)` });
}

/** Parses a FHIR JSON body, reporting malformed JSON as 400 with its line and column. */
export function parseJsonBody(bytes: Buffer): unknown {
  const text = bytes.toString('utf8');
  if (text.trim().length === 0) return undefined;
  try {
    return parseJson(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) {
      throw new FhirError(400, {
        severity: 'error',
        code: 'structure',
        diagnostics: `Malformed JSON: ${error.reason} (line ${error.line}, column ${error.column})`,
      });
    }
    throw error;
  }
}
