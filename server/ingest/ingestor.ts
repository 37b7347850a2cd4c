import { detectPayloadMapping } from '../../mappings/detect.ts';
import { hasErrors, PayloadError, type MappingIssue } from '../../mappings/issue.ts';
import type { PayloadContext, PayloadInput } from '../../mappings/payload.ts';
import { splitBody } from '../../mappings/split/split-body.ts';
import type { FhirServices } from '../fhir/context.ts';
import { bundleJson, type BundleEntryText } from '../fhir/bundle-json.ts';
import { statusLine } from '../fhir/bundles/entry-response.ts';
import { IdentityError } from './identity-resolver.ts';
import { writeIngest, type ReadingResult } from './ingest-writer.ts';
import { operationOutcomeOf, outcomeIssue, statusOf, type OutcomeIssue } from './issue-outcome.ts';
import { mapRequest, mapRequestStream, splitIssue, type MappedObservation, type MappedRequest } from './map-request.ts';
import type { MappingStore, ResolvedMapping } from './mapping-store.ts';
import type { IngestSource } from './provenance-hook.ts';
import type { ReadingIds } from './reading-ids.ts';
import { ReceivedBody } from './received-body.ts';
import { detectBodyMapping, payloadsOf, type IngestBody, type StreamBody, type WholeBody } from './request-payloads.ts';

export interface IngestRequest {
  body: IngestBody;
  /** Mapping id (`id` or `id|version`); detected from the body when absent. */
  mapping?: string;
  context: PayloadContext;
  /** Prefer: return=representation puts each Observation into the response. */
  representation: boolean;
  source: Omit<IngestSource, 'mapping' | 'body' | 'contentType'>;
}

export type IngestReply =
  | { status: 200; bundle: string; created: number; existing: number; observations: number }
  | { status: 400 | 422; outcome: Record<string, unknown> };

const rank = (issue: MappingIssue) => (issue.severity === 'fatal' || issue.severity === 'error' ? 0 : 1);

const reject = (status: 400 | 422, issues: OutcomeIssue[]): IngestReply => ({ status, outcome: operationOutcomeOf(issues) });
const isWarning = (issue: MappingIssue) => issue.severity === 'warning';

/** Validation issues of the server's validator as mapping issues located at the reading's payload. */
function validationIssues(services: FhirServices, observations: MappedObservation[]): MappingIssue[] {
  const issues: MappingIssue[] = [];
  for (const { resource, payloadIndex } of observations) {
    for (const issue of services.validate(resource)) {
      if (issue.severity !== 'error' && issue.severity !== 'fatal') continue;
      issues.push({
        severity: 'error',
        code: issue.kind === 'structure' ? 'structure' : 'business-rule',
        diagnostics: `Observation fails validation: ${issue.diagnostics}`,
        location: { source: 'observation', ...(payloadIndex >= 0 ? { payloadIndex } : {}), ...(issue.expression?.[0] ? { expression: issue.expression[0] } : {}) },
      });
      if (issues.length >= 200) return issues;
    }
  }
  return issues;
}

function responseEntry(baseUrl: string, reading: ReadingResult): BundleEntryText {
  return {
    fullUrl: `${baseUrl}/${reading.type}/${reading.id}`,
    ...(reading.json !== undefined ? { resource: reading.json } : {}),
    extra: {
      response: {
        status: statusLine(reading.status),
        location: `${reading.type}/${reading.id}/_history/${reading.version}`,
        etag: `W/"${reading.version}"`,
        lastModified: reading.lastUpdated,
      },
    },
  };
}

/**
 * Device ingestion shared by $ingest and MQTT: mapping, validation, identity resolution and one
 * all-or-nothing write. Client mistakes come back as a 400/422 OperationOutcome that names
 * where they are; nothing is written then.
 */
export class Ingestor {
  constructor(
    private readonly services: FhirServices,
    readonly mappings: MappingStore,
    private readonly readingIds: ReadingIds,
  ) {}

  async resolveMapping(reference: string | undefined, body: WholeBody): Promise<ResolvedMapping | OutcomeIssue> {
    return this.resolveMappingId(reference ?? detectBodyMapping(body));
  }

  private async resolveMappingId(id: string | undefined): Promise<ResolvedMapping | OutcomeIssue> {
    if (id === undefined) {
      return { severity: 'error', code: 'required', diagnostics: 'The payload format was not recognised; name the mapping with ?mapping=<id> (GET $mappings lists them)', location: ['mapping'] };
    }
    const resolved = await this.mappings.resolve(id);
    return resolved ?? { severity: 'error', code: 'not-found', diagnostics: `Unknown mapping '${id.slice(0, 80)}' (GET $mappings lists them)`, location: ['mapping'] };
  }

  async ingest(request: IngestRequest): Promise<IngestReply> {
    const body = request.body;
    if (body.kind === 'stream') return this.ingestStream(request, body);
    const resolved = await this.resolveMapping(request.mapping, body);
    if (!('mapping' in resolved)) return reject(400, [resolved]);
    const mapped = mapRequest(resolved.mapping, payloadsOf(body, request.context), { informationIssues: false });
    const source = body.kind === 'text' ? { body: body.text, ...(body.contentType ? { contentType: body.contentType } : {}) } : { body: body.value };
    return this.store(request, resolved, mapped, source);
  }

  /**
   * A body read as it arrives: payloads are split out of the chunks and mapped one by one while
   * the rest is still uploading; the first payload names the mapping when the request does not.
   * The first unreadable payload ends the request (400) without reading further; writing still
   * waits until the whole body was mapped and validated.
   */
  private async ingestStream(request: IngestRequest, body: StreamBody): Promise<IngestReply> {
    const received = new ReceivedBody(body.chunks);
    const split = splitBody(received, body.contentType, request.context, { json: body.json });
    try {
      let resolved: ResolvedMapping | OutcomeIssue;
      let payloads: AsyncIterable<PayloadInput> = split;
      if (request.mapping !== undefined) resolved = await this.resolveMappingId(request.mapping);
      else {
        const first = await readFirst(split);
        if ('error' in first) return received.blank() ? reject(400, [NO_PAYLOAD]) : reject(400, [outcomeIssue(splitIssue(first.error))]);
        if (first.payload === undefined && received.blank()) return reject(400, [NO_PAYLOAD]);
        resolved = await this.resolveMappingId(first.payload && detectPayloadMapping(first.payload));
        payloads = withFirst(first.payload, split);
      }
      if (!('mapping' in resolved)) return reject(400, [resolved]);
      const mapped = await mapRequestStream(resolved.mapping, payloads, { stopAtUnreadable: true, informationIssues: false });
      if (mapped.payloads === 0 && received.blank()) return reject(400, [NO_PAYLOAD]);
      // JSON bodies keep being recorded without a content type, as when the HTTP layer parsed them.
      return await this.store(request, resolved, mapped, { body: received.bytes(), ...(body.contentType && !body.json ? { contentType: body.contentType } : {}) });
    } finally {
      // Answered before the body ended: release the splitter and, through it, the request stream
      // (the HTTP layer discards the rest).
      await split.return(undefined);
    }
  }

  /** Validation and the one all-or-nothing write of a mapped request; the response Bundle. */
  private async store(request: IngestRequest, resolved: ResolvedMapping, mapped: MappedRequest, received: Pick<IngestSource, 'body' | 'contentType'>): Promise<IngestReply> {
    if (mapped.payloads === 0 && !hasErrors(mapped.issues)) return reject(400, [{ severity: 'error', code: 'required', diagnostics: 'The request carries no payload' }]);
    if (hasErrors(mapped.issues)) {
      // Errors first (notes the server acts on itself, such as a subject resolved from the Device, were left out in mapping).
      const relevant = mapped.issues.slice().sort((a, b) => rank(a) - rank(b));
      return reject(statusOf(mapped.issues), relevant.map((issue) => outcomeIssue(issue)));
    }
    const invalid = validationIssues(this.services, mapped.observations);
    if (invalid.length > 0) return reject(422, invalid.map((issue) => outcomeIssue(issue)));

    const source: IngestSource = {
      ...request.source,
      mapping: { id: resolved.id, ...(resolved.version !== undefined ? { version: resolved.version } : {}) },
      ...received,
    };
    let written;
    try {
      written = await writeIngest(this.services, this.readingIds, mapped.observations, mapped.devices, { representation: request.representation, source });
    } catch (error) {
      if (!(error instanceof IdentityError)) throw error;
      return reject(422, error.unresolved.map((entry) => ({ severity: 'error', code: 'not-found', diagnostics: entry.diagnostics, location: [entry.subject] })));
    }
    const baseUrl = this.services.config.BASE_URL;
    // Loops, not callbacks made per request (server/ingest/README.md, "Optimized code").
    const entries: BundleEntryText[] = [];
    for (const reading of written.shells) entries.push(responseEntry(baseUrl, reading));
    for (const reading of written.readings) entries.push(responseEntry(baseUrl, reading));
    const warnings = mapped.issues.filter(isWarning);
    // Warnings (readings without a rule, times without an offset) ride in a last entry's outcome.
    if (warnings.length > 0) entries.push({ extra: { response: { status: '200 OK', outcome: operationOutcomeOf(warnings.map((issue) => outcomeIssue(issue))) } } });
    let created = 0;
    for (const reading of written.readings) if (reading.status === 201) created++;
    return {
      status: 200,
      bundle: bundleJson('transaction-response', entries),
      created,
      existing: written.readings.length - created,
      observations: written.readings.length,
    };
  }
}

/** Streamed bodies come from $ingest; an empty one gets the answer $ingest gave before it streamed. */
const NO_PAYLOAD: OutcomeIssue = { severity: 'error', code: 'required', diagnostics: '$ingest needs a device payload in the body' };

/** The first payload of a stream (undefined: there is none), or the splitting error it ran into. */
async function readFirst(payloads: AsyncIterator<PayloadInput>): Promise<{ payload: PayloadInput | undefined } | { error: PayloadError }> {
  try {
    const next = await payloads.next();
    return { payload: next.done ? undefined : next.value };
  } catch (error) {
    if (!(error instanceof PayloadError)) throw error;
    return { error };
  }
}

/** The stream again, with its first payload (read ahead for mapping detection) put back in front. */
async function* withFirst(first: PayloadInput | undefined, rest: AsyncGenerator<PayloadInput>): AsyncGenerator<PayloadInput> {
  if (first === undefined) return;
  yield first;
  yield* { [Symbol.asyncIterator]: () => rest };
}
