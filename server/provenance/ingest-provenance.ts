import { randomUUID } from 'node:crypto';
import { stringifyJson } from '../fhir/json/index.ts';
import type { IngestCommitPlan, IngestProvenanceHook, IngestSource } from '../ingest/provenance-hook.ts';
import type { CommittedWrite, WriteOperation } from '../store/repository.ts';
import type { ContentStore } from './content-store.ts';
import type { KeySubjects } from './key-subject.ts';
import { MAPPING_SYSTEM, ipfsEntity, participant } from './provenance-resource.ts';
import { sealSource } from './source-seal.ts';
import { unixfsCid } from './unixfs-cid.ts';

/**
 * One Provenance per ingest request, committed in the request's own transaction (all or nothing
 * with its readings): target = the resources the request created or changed (created ones as
 * version 1; changed ones unversioned, since their new version number is assigned by the write
 * itself), agent = the Devices (performer) and the mapping (assembler), entity = the CID of the
 * payload as received, sealed under a fresh data key.
 *
 * Nothing here waits for IPFS or the chain: sealing and computing the CID are local CPU work. With
 * the embedded content store (local disk, like the database) the sealed bytes are stored before
 * the request's transaction opens; with an IPFS node they wait in provenance_ingest_source until
 * the anchor worker stores them. Either way the worker wraps the data key under the patients' keys
 * later (ingestSourceStage). The Provenance is anchored like any version.
 */
export interface SealedSource {
  sourceId: string;
  cid: string;
  /** The sealed payload, when it still has to be stored (undefined: already in the local content store). */
  sealed?: Buffer;
  dek: Buffer;
}

const PREFIX = 'vc-ingest-';

/**
 * `stored` is called after a request with a source committed (the worker then stores the payload
 * or wraps its key). With `subjects`, the patients whose keys will wrap the payload's data key are
 * taken from the resources as this request writes them and kept with the sealed payload. Given a
 * `local` content store, payloads go there at once: spooled through PostgreSQL they were written
 * (TOAST), read back and cleared again, ~190 bytes of WAL per reading of a device batch.
 */
export function ingestProvenanceHook(stored: () => void = () => {}, subjects?: KeySubjects, content?: ContentStore): IngestProvenanceHook {
  const local = content?.local ? content : undefined;
  return {
    async recordSource(source: IngestSource): Promise<SealedSource> {
      const { sealed, dek } = sealSource(payloadBytes(source.body));
      // Stored, the CID comes back from the store: a device batch is often over one 256 KiB chunk,
      // and the importer then ran twice, once for the CID and once to store the blocks. A request
      // that then fails leaves an unreferenced block behind, as content stores may.
      const cid = local ? await local.put(sealed) : await unixfsCid(sealed);
      return { sourceId: randomUUID(), cid, ...(local ? {} : { sealed }), dek };
    },
    operations(plan: IngestCommitPlan): WriteOperation[] {
      const record = plan.sourceRecord as SealedSource | undefined;
      if (!record || plan.targets.length === 0) return [];
      const id = provenanceId(record);
      // Its targets get no idx_reference rows: searches derive them from the source row (ingest-target-rows.ts).
      return [{ action: 'create', method: 'POST', type: 'Provenance', id, resource: ingestProvenance(id, plan, record.cid), unindexed: ['target'] }];
    },
    async written(plan: IngestCommitPlan, results: readonly CommittedWrite[]): Promise<void> {
      const record = plan.sourceRecord as SealedSource | undefined;
      if (!record || plan.targets.length === 0) return;
      const id = provenanceId(record);
      // The Provenance is the operation after the targets (ingest/provenance-hook.ts).
      const provenance = results[plan.targets.length];
      if (provenance?.type !== 'Provenance' || provenance.id !== id) throw new Error(`the ingest Provenance ${id} is not where the write put it`);
      const payloadSubjects = subjects ? targetSubjects(subjects, plan) : null;
      const { created, updated } = targetRids(plan, results);
      // The targets are listed only when their patients are not known yet (the worker then reads them
      // back); otherwise the patients say whose keys wrap the payload and whose erasure removes it.
      await plan.tx.query(
        `INSERT INTO provenance_ingest_source (source_id, received_at, cid, provenance_id, targets, sealed, dek, subjects, provenance_rid, created_rids, updated_rids)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, (SELECT range_agg(int8range(r, r, '[]')) FROM unnest($10::int8[]) AS r), $11::int8[])`,
        [record.sourceId, plan.source.receivedAt, record.cid, id, payloadSubjects ? [] : targetNames(plan), record.sealed ?? null, record.dek, payloadSubjects, provenance.rid, created, updated],
      );
    },
    committed: (results) => {
      if (results.some(isIngestProvenance)) stored();
    },
  };
}

/** Patients of the written resources (the shared key when none is in a patient compartment); null when a target came without its resource (the worker then reads them back). */
function targetSubjects(subjects: KeySubjects, plan: IngestCommitPlan): string[] | null {
  // Loops here and below, not callbacks made per request (server/ingest/README.md, "Optimized code").
  const written = new Array<{ type: string; id: string; resource: Record<string, unknown> }>(plan.targets.length);
  for (let i = 0; i < plan.targets.length; i++) {
    const target = plan.targets[i]!;
    if (!target.resource) return null;
    written[i] = { type: target.type, id: target.id, resource: target.resource };
  }
  return subjects.payloadSubjects(written);
}

function provenanceId(record: SealedSource): string {
  return `${PREFIX}${record.sourceId}`;
}

function targetNames(plan: IngestCommitPlan): string[] {
  const names = new Array<string>(plan.targets.length);
  for (let i = 0; i < plan.targets.length; i++) names[i] = `${plan.targets[i]!.type}/${plan.targets[i]!.id}`;
  return names;
}

/** The rids the Provenance names, split as its references are: created resources by version 1, changed ones unversioned. */
function targetRids(plan: IngestCommitPlan, results: readonly CommittedWrite[]): { created: number[]; updated: number[] } {
  const created: number[] = [];
  const updated: number[] = [];
  for (let i = 0; i < plan.targets.length; i++) (plan.targets[i]!.action === 'create' ? created : updated).push(results[i]!.rid);
  return { created, updated };
}

function isIngestProvenance(result: { type: string; id: string }): boolean {
  return result.type === 'Provenance' && isIngestProvenanceId(result.id);
}

export function isIngestProvenanceId(id: string): boolean {
  return id.startsWith(PREFIX);
}

function ingestProvenance(id: string, plan: IngestCommitPlan, cid: string): Record<string, unknown> {
  const { source, targets } = plan;
  const devices = new Set<string>();
  const target = new Array<{ reference: string }>(targets.length);
  let allCreated = true;
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i]!;
    if (t.type === 'Device') devices.add(`Device/${t.id}`);
    // Observations name their Device once ingest has resolved it (when the plan carries the resource).
    const device = (t as { resource?: { device?: { reference?: unknown } } }).resource?.device?.reference;
    if (typeof device === 'string' && device.startsWith('Device/')) devices.add(device);
    target[i] = { reference: t.action === 'create' ? `${t.type}/${t.id}/_history/1` : `${t.type}/${t.id}` };
    allCreated &&= t.action === 'create';
  }
  const mapping = source.mapping.version === undefined ? source.mapping.id : `${source.mapping.id}|${source.mapping.version}`;
  return {
    resourceType: 'Provenance',
    id,
    target,
    recorded: source.receivedAt,
    activity: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: allCreated ? 'CREATE' : 'UPDATE' }] },
    agent: [
      ...[...devices].map((reference) => ({ type: participant('performer', 'Performer'), who: { reference } })),
      { type: participant('assembler', 'Assembler'), who: { identifier: { system: MAPPING_SYSTEM, value: mapping }, display: `device mapping ${mapping}` } },
    ],
    entity: [ipfsEntity(cid, `${source.channel === 'mqtt' ? 'MQTT message' : '$ingest request body'}${source.contentType ? ` (${source.contentType})` : ''}, encrypted`)],
  };
}

/** The payload as received: raw text or bytes; a JSON body the HTTP layer parsed is written back out (decimals kept). */
function payloadBytes(body: unknown): Buffer {
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  return Buffer.from(stringifyJson(body));
}
