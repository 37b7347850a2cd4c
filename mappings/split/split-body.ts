import { JsonSyntaxError, parseJson } from '../../server/fhir/json/index.ts';
import { PayloadError } from '../issue.ts';
import type { PayloadContext, PayloadInput } from '../payload.ts';
import { AppleHealthReader } from './apple-health-xml.ts';
import { JsonBodySplitter, type JsonBodyValue } from './json-body-splitter.ts';

export type BodyKind = 'json' | 'ndjson' | 'hl7v2' | 'apple-health-xml';
export type RequestBody = string | Uint8Array | AsyncIterable<string | Uint8Array>;

const CHUNK = 64 * 1024;

export interface SplitOptions {
  /**
   * The Content-Type said JSON: the body is one JSON value or an array of them, never sniffed
   * as HL7 v2 or XML, and content after that value is an error rather than the start of NDJSON
   * (the rule the HTTP layer applies to JSON bodies).
   */
  json?: boolean;
}

/** Body kind from the content type, else from the first characters. */
export function bodyKind(start: string, contentType?: string): BodyKind {
  const type = (contentType ?? '').toLowerCase().split(';')[0]!.trim();
  if (type.includes('ndjson') || type === 'application/x-json-stream' || type === 'application/jsonl') return 'ndjson';
  if (type.includes('hl7')) return 'hl7v2';
  if (type.endsWith('/xml') || type.endsWith('+xml')) return 'apple-health-xml';
  const head = start.replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('MSH')) return 'hl7v2';
  if (head.startsWith('<')) return 'apple-health-xml';
  return 'json';
}

function jsonError(error: unknown, line?: number): never {
  if (error instanceof JsonSyntaxError) throw new PayloadError(`Malformed JSON: ${error.reason}`, '$', 'structure', (line ?? 1) + error.line - 1, error.column);
  throw error;
}

/**
 * Turns chunks into payloads for one body kind. Chunks may split lines, segments or XML
 * elements anywhere; each `push` returns the payloads completed so far, `end` the rest. Only the
 * unfinished tail (a line, an HL7 message, an XML element) is held.
 */
class Splitter {
  private index = 0;
  private line = 0;
  private tail = '';
  private readonly json: JsonBodySplitter | undefined;
  private message: string[] = [];
  private messageLine = 1;
  private readonly xml: AppleHealthReader | undefined;

  constructor(
    /** Not readonly: a JSON body that turns out to be several values is read on as NDJSON. */
    private kind: BodyKind,
    private readonly context: PayloadContext | undefined,
    strictJson = false,
  ) {
    if (kind === 'apple-health-xml') this.xml = new AppleHealthReader();
    if (kind === 'json') this.json = new JsonBodySplitter(strictJson);
  }

  private payload(format: PayloadInput['format'], body: unknown, line?: number): PayloadInput {
    return { index: this.index++, format, body, ...(line !== undefined ? { line } : {}), ...(this.context ? { context: this.context } : {}) };
  }

  push(chunk: string): PayloadInput[] {
    if (this.kind === 'json') return this.jsonPayloads(() => this.json!.push(chunk), false);
    if (this.xml) return this.xml.write(chunk).map((record) => this.payload('apple-health-record', record, record.line));
    const out: PayloadInput[] = [];
    this.tail += chunk;
    let at: number;
    while ((at = this.tail.indexOf('\n')) >= 0) {
      this.onLine(this.tail.slice(0, at).replace(/\r$/, ''), out);
      this.tail = this.tail.slice(at + 1);
    }
    return out;
  }

  end(): PayloadInput[] {
    if (this.kind === 'json') return this.jsonPayloads(() => this.json!.end(), true);
    if (this.xml) return this.xml.end().map((record) => this.payload('apple-health-record', record, record.line));
    const out: PayloadInput[] = [];
    if (this.tail.length > 0) this.onLine(this.tail.replace(/\r$/, ''), out);
    this.tail = '';
    if (this.kind === 'hl7v2') this.flushMessage(out);
    return out;
  }

  private onLine(content: string, out: PayloadInput[]): void {
    this.line++;
    if (this.kind === 'ndjson') {
      if (content.trim() === '') return;
      let body: unknown;
      try {
        body = parseJson(content);
      } catch (error) {
        jsonError(error, this.line);
      }
      out.push(this.payload('json', body, this.line));
      return;
    }
    // HL7 v2: segments end with CR (standard), LF or CRLF; a new message starts at each MSH.
    for (const segment of content.split('\r')) {
      if (/^(FHS|BHS|BTS|FTS)\|/.test(segment)) continue;
      if (segment.startsWith('MSH')) this.flushMessage(out);
      if (this.message.length === 0) {
        if (segment.trim() === '') continue;
        this.messageLine = this.line;
      }
      this.message.push(segment);
    }
  }

  private flushMessage(out: PayloadInput[]): void {
    if (this.message.some((segment) => segment.trim() !== '')) out.push(this.payload('hl7v2', this.message.join('\r'), this.messageLine));
    this.message = [];
  }

  private jsonPayloads(read: () => JsonBodyValue[], atEnd: boolean): PayloadInput[] {
    let values: JsonBodyValue[] = [];
    try {
      values = read();
    } catch (error) {
      jsonError(error);
    }
    const out = values.map(({ value, whole }) => this.payload('json', value, whole ? 1 : undefined));
    const held = this.json!.ndjson;
    if (held === undefined) return out;
    // Several JSON values one per line without the ndjson content type: read them as NDJSON.
    this.kind = 'ndjson';
    out.push(...this.push(held));
    if (atEnd) out.push(...this.end());
    return out;
  }
}

function decode(body: string | Uint8Array): string {
  const decoded = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  return decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded;
}

/**
 * Splits an in-memory request body into payloads: a JSON object (one payload), a JSON array (one
 * per element), NDJSON (one per line), HL7 v2 text (one per MSH message), or an Apple Health
 * export.xml (one per record). Malformed input throws PayloadError with line and column.
 */
export function* splitBodySync(body: string | Uint8Array, contentType?: string, context?: PayloadContext, options: SplitOptions = {}): Generator<PayloadInput> {
  const source = decode(body);
  const splitter = splitterFor(source.slice(0, 256), contentType, context, options);
  for (let at = 0; at < source.length; at += CHUNK) yield* splitter.push(source.slice(at, at + CHUNK));
  yield* splitter.end();
}

function splitterFor(head: string, contentType: string | undefined, context: PayloadContext | undefined, options: SplitOptions): Splitter {
  return new Splitter(options.json ? 'json' : bodyKind(head, contentType), context, options.json);
}

/**
 * Streaming variant for request streams: every kind is split as chunks arrive — a JSON array
 * element by element (JsonBodySplitter), NDJSON by line, HL7 v2 by message, export.xml by record
 * — so only the payload being received is held (a single JSON object is a payload of its own and
 * complete only at its end).
 */
export async function* splitBody(body: RequestBody, contentType?: string, context?: PayloadContext, options: SplitOptions = {}): AsyncGenerator<PayloadInput> {
  if (typeof body === 'string' || body instanceof Uint8Array) {
    yield* splitBodySync(body, contentType, context, options);
    return;
  }
  const decoder = new TextDecoder('utf-8');
  let splitter: Splitter | undefined;
  let head = '';
  for await (const chunk of body) {
    const textChunk = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    if (!splitter) {
      head += textChunk;
      if (head.length < 256) continue;
      head = head.replace(/^\uFEFF/, '');
      splitter = splitterFor(head, contentType, context, options);
      yield* splitter.push(head);
      continue;
    }
    yield* splitter.push(textChunk);
  }
  const rest = decoder.decode();
  if (!splitter) {
    head = (head + rest).replace(/^\uFEFF/, '');
    splitter = splitterFor(head, contentType, context, options);
    yield* splitter.push(head);
  } else if (rest) yield* splitter.push(rest);
  yield* splitter.end();
}
