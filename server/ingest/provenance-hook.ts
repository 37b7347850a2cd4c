import type { FhirServices } from '../fhir/context.ts';
import type { Queryable } from '../store/database.ts';
import type { CommittedWrite, WriteOperation } from '../store/repository.ts';

/** The request an ingest commit came from, as received (PHI: store it only encrypted). */
export interface IngestSource {
  requestId: string;
  /** 'http' ($ingest) or 'mqtt' (topic in `topic`). */
  channel: 'http' | 'mqtt';
  topic?: string;
  contentType?: string;
  /** The raw body: the bytes received ($ingest over HTTP), the message text (MQTT), or a parsed value (a bundle entry's resource). */
  body: string | Uint8Array | unknown;
  mapping: { id: string; version?: number };
  receivedAt: string;
}

/** What one ingest commit writes, for the Provenance that records it. */
export interface IngestCommitPlan {
  source: IngestSource;
  /** Whatever recordSource returned (e.g. the CID of the encrypted payload). */
  sourceRecord: unknown;
  /** Resources this commit creates or updates (Observations, shell Devices and Patients), with the resource as it will be stored (literal device/subject references). */
  targets: Array<{ type: string; id: string; action: 'create' | 'update'; resource?: Record<string, any> }>;
  tx: Queryable;
}

/**
 * Where the provenance pipeline (server/provenance) plugs into device ingestion. Both parts are
 * optional; ingestion works without a hook.
 *  - recordSource runs before the ingest transaction opens (store the source payload encrypted,
 *    return e.g. its CID); if the transaction then fails, the stored blob is simply unreferenced.
 *  - operations runs inside the ingest transaction after every write is planned and returns
 *    further operations (one Provenance naming the targets and the source) committed with the
 *    readings in the same single call to the write path, so all or nothing holds for them too.
 *  - written runs in the same transaction after that call, with its results in the order of the
 *    operations (the plan's targets first, then what operations returned): rows that need the
 *    written resources' rids.
 *  - committed runs after COMMIT with what was written.
 */
export interface IngestProvenanceHook {
  recordSource?(source: IngestSource): Promise<unknown>;
  operations?(plan: IngestCommitPlan): Promise<WriteOperation[]> | WriteOperation[];
  written?(plan: IngestCommitPlan, results: readonly CommittedWrite[]): Promise<void>;
  committed?(results: CommittedWrite[], source: IngestSource): void;
}

const hooks = new WeakMap<FhirServices, IngestProvenanceHook>();

/** Called by the provenance feature at start (any order relative to ingestion's start). */
export function setIngestProvenanceHook(services: FhirServices, hook: IngestProvenanceHook | undefined): void {
  if (hook) hooks.set(services, hook);
  else hooks.delete(services);
}

export function ingestProvenanceHook(services: FhirServices): IngestProvenanceHook | undefined {
  return hooks.get(services);
}
