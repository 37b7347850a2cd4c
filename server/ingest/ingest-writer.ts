import { newResourceId } from '../store/new-resource-id.ts';
import { INGEST_IDENTIFIER_SYSTEM } from '../../mappings/identity.ts';
import type { DeviceIdentity } from '../../mappings/map-payloads.ts';
import { asFhirError, type FhirServices } from '../fhir/context.ts';
import { parseJson } from '../fhir/json/index.ts';
import type { Queryable } from '../store/database.ts';
import type { CommittedWrite, WriteOperation } from '../store/repository.ts';
import { resolveIdentities } from './identity-resolver.ts';
import { repointKeys } from './ingest-keys.ts';
import { claimReadings } from './reading-claims.ts';
import { deviceIdentityKey, type MappedObservation } from './map-request.ts';
import { ingestProvenanceHook, type IngestSource } from './provenance-hook.ts';
import { mergeStoredWindow } from './sampled-merge.ts';

/** What happened to one reading's Observation. */
export interface ReadingResult {
  type: string;
  id: string;
  version: number;
  lastUpdated: string;
  status: 200 | 201;
  /** Stored JSON (new and updated versions; existing ones only when asked for). */
  json?: string;
}

export interface IngestWriteResult {
  /** One per mapped Observation, in request order (a reading sent twice in one request points at one resource). */
  readings: ReadingResult[];
  /** Shell Devices and Patients created (create mode). */
  shells: ReadingResult[];
  committed: CommittedWrite[];
}

interface Existing {
  id: string;
  version: number;
  deleted: boolean;
  lastUpdated: string;
  content?: string;
}

type Json = Record<string, any>;

function ingestKey(observation: Json): string {
  const identifier = (observation.identifier as Json[] | undefined)?.find((i) => i.system === INGEST_IDENTIFIER_SYSTEM);
  if (!identifier?.value) throw new Error('mapped Observation without an ingest identifier');
  return identifier.value as string;
}

function subjectKey(observation: Json): string {
  const subject = observation.subject as Json | undefined;
  if (!subject) return '';
  if (typeof subject.reference === 'string') return `ref:${subject.reference}`;
  return subject.identifier ? `id:${subject.identifier.system}|${subject.identifier.value}` : '';
}

async function readExisting(tx: Queryable, ids: string[], withContent: boolean): Promise<Map<string, Existing>> {
  const existing = new Map<string, Existing>();
  if (ids.length === 0) return existing;
  const { rows } = await tx.query<{ id: string; version: number; deleted: boolean; last_updated: Date; content?: string | null }>(
    withContent
      ? `SELECT r.id, r.version, r.deleted, r.last_updated, v.content FROM json_array_elements_text($1::json) AS k(id)
           JOIN resource r ON r.type = 'Observation' AND r.id = k.id JOIN resource_version v ON v.rid = r.rid AND v.version = r.version`
      : `SELECT r.id, r.version, r.deleted, r.last_updated FROM json_array_elements_text($1::json) AS k(id) JOIN resource r ON r.type = 'Observation' AND r.id = k.id`,
    [JSON.stringify(ids)],
  );
  for (const row of rows) existing.set(row.id, { id: row.id, version: row.version, deleted: row.deleted, lastUpdated: row.last_updated.toISOString(), ...(row.content ? { content: row.content } : {}) });
  return existing;
}

/**
 * Writes one request's readings in one database transaction through the write path: resolves
 * (or, in create mode, creates) Devices and Patients, makes device and subject literal
 * references, creates an Observation only for readings not stored before (reading-claims.ts),
 * merges SampledData windows into the stored ones, and commits everything with a
 * single writeInTransaction call. Any failure rolls the whole request back.
 */
export async function writeIngest(services: FhirServices, observations: MappedObservation[], identities: DeviceIdentity[], options: { representation: boolean; source: IngestSource }): Promise<IngestWriteResult> {
  const { db, repository } = services;
  const hook = ingestProvenanceHook(services);
  const sourceRecord = hook?.recordSource ? await hook.recordSource(options.source) : undefined;

  // Last write wins for a reading repeated within the request (MedTech's rule).
  const keys = observations.map((o) => ingestKey(o.resource));
  const lastOf = new Map<string, number>();
  keys.forEach((key, index) => lastOf.set(key, index));
  const unique = [...lastOf.values()].sort((a, b) => a - b);

  const committed: CommittedWrite[] = [];
  const result = await db.transaction(async (tx) => {
    const resolved = await resolveIdentities(tx, services, identities, deviceIdentityKey);
    for (const index of unique) {
      const observation = observations[index]!.resource as Json;
      const device = observation.device.identifier as Json;
      const deviceKey = `${device.system}|${device.value}`;
      const patientId = resolved.patients.get(`${deviceKey}\n${subjectKey(observation)}`);
      observation.device = { reference: `Device/${resolved.devices.get(deviceKey)}` };
      if (patientId) observation.subject = { reference: `Patient/${patientId}` };
    }

    const { claims, repoint } = await claimReadings(tx, services, unique.map((index) => keys[index]!));
    const unclaimedIds = claims.filter((claim) => !claim.claimed).map((claim) => claim.id);
    const sampledIds: string[] = [];
    unique.forEach((index, position) => {
      if (observations[index]!.sampled && !claims[position]!.claimed) sampledIds.push(claims[position]!.id);
    });
    if (sampledIds.length > 0) {
      // Lock the stored windows first, then read them in a new statement so a concurrent merge that committed meanwhile is seen.
      await tx.query(`SELECT rid FROM resource WHERE type = 'Observation' AND id = ANY($1::text[]) ORDER BY rid FOR UPDATE`, [sampledIds]);
    }
    const existing = await readExisting(tx, unclaimedIds, options.representation || sampledIds.length > 0);

    const operations: WriteOperation[] = [...resolved.operations];
    const shellCount = operations.length;
    const outcomes: Array<ReadingResult | number> = [];
    unique.forEach((index, position) => {
      const claim = claims[position]!;
      const mapped = observations[index]!;
      const stored = claim.claimed ? undefined : existing.get(claim.id);
      if (!stored || stored.deleted) {
        // New, or its Observation was deleted since: create (a deleted reading comes back as a new resource, as a conditional create would).
        const id = claim.claimed ? claim.id : newResourceId();
        if (!claim.claimed && services.db.kind === 'postgres') repoint.push({ key: claim.key, id });
        outcomes.push(operations.length);
        operations.push({ action: 'create', method: 'POST', type: 'Observation', id, resource: mapped.resource });
      } else if (mapped.sampled && stored.content) {
        outcomes.push(operations.length);
        operations.push({ action: 'update', method: 'PUT', type: 'Observation', id: stored.id, resource: mergeStoredWindow(mapped.resource, parseJson(stored.content) as Json) });
      } else {
        outcomes.push({ type: 'Observation', id: stored.id, version: stored.version, lastUpdated: stored.lastUpdated, status: 200, ...(options.representation && stored.content ? { json: stored.content } : {}) });
      }
    });
    await repointKeys(tx, repoint);
    if (hook?.operations) {
      const targets = operations.filter((op) => op.action !== 'delete').map((op) => ({ type: op.type, id: op.id, action: op.action as 'create' | 'update', ...(op.resource ? { resource: op.resource } : {}) }));
      operations.push(...(await hook.operations({ source: options.source, sourceRecord, targets, tx })));
    }
    let results: CommittedWrite[] = [];
    try {
      if (operations.length > 0) results = await repository.writeInTransaction(tx, operations);
    } catch (error) {
      throw asFhirError(error);
    }
    committed.push(...results);
    const asReading = (write: CommittedWrite): ReadingResult => ({
      type: write.type,
      id: write.id,
      version: write.version,
      lastUpdated: write.lastUpdated,
      status: write.created ? 201 : 200,
      ...(options.representation ? { json: write.json } : {}),
    });
    const byKey = new Map<string, ReadingResult>();
    unique.forEach((index, position) => {
      const outcome = outcomes[position]!;
      byKey.set(keys[index]!, typeof outcome === 'number' ? asReading(results[outcome]!) : outcome);
    });
    return { readings: keys.map((key) => byKey.get(key)!), shells: results.slice(0, shellCount).map(asReading), committed: results };
  });
  repository.committed(committed);
  hook?.committed?.(committed, options.source);
  return result;
}
