import { INGEST_IDENTIFIER_SYSTEM } from '../../mappings/identity.ts';
import type { DeviceIdentity } from '../../mappings/map-payloads.ts';
import { asFhirError, type FhirServices } from '../fhir/context.ts';
import { parseJson } from '../fhir/json/index.ts';
import { PG_UNIQUE_VIOLATION, sqlErrorCode } from '../store/database.ts';
import type { CommittedWrite, WriteOperation } from '../store/repository.ts';
import { resolveIdentities } from './identity-resolver.ts';
import type { ReadingIds } from './reading-ids.ts';
import { storedReadings } from './stored-readings.ts';
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

type Json = Record<string, any>;

function ingestKey(observation: Json): string {
  const identifier = (observation.identifier as Json[] | undefined)?.find((i) => i.system === INGEST_IDENTIFIER_SYSTEM);
  if (!identifier?.value) throw new Error('mapped Observation without an ingest identifier');
  return identifier.value as string;
}

function subjectKey(subject: Json | undefined): string {
  if (!subject) return '';
  if (typeof subject.reference === 'string') return `ref:${subject.reference}`;
  return subject.identifier ? `id:${subject.identifier.system}|${subject.identifier.value}` : '';
}

/** Thrown inside the transaction when a reading was created by a concurrent request meanwhile: the whole request runs again and then finds it. */
class ReadingRaced extends Error {}

const MAX_ATTEMPTS = 5;

/**
 * Writes one request's readings in one database transaction through the write path: resolves
 * (or, in create mode, creates) Devices and Patients, makes device and subject literal
 * references, creates an Observation at each new reading's own id (reading-ids.ts) only when
 * nothing is stored for it yet (stored-readings.ts), merges SampledData windows into the stored
 * ones, and commits everything with a single writeInTransaction call. Any failure rolls the whole
 * request back. Should a concurrent request create one of its readings first, the transaction
 * is rolled back and run again, so the response, the merge of a sampled window and the ingest
 * Provenance all describe what this request actually wrote.
 */
export async function writeIngest(
  services: FhirServices,
  readingIds: ReadingIds,
  observations: MappedObservation[],
  identities: DeviceIdentity[],
  options: { representation: boolean; source: IngestSource },
): Promise<IngestWriteResult> {
  const { db, repository } = services;
  const hook = ingestProvenanceHook(services);
  const sourceRecord = hook?.recordSource ? await hook.recordSource(options.source) : undefined;

  // Last write wins for a reading repeated within the request (MedTech's rule).
  const keys = observations.map((o) => ingestKey(o.resource));
  const lastOf = new Map<string, number>();
  keys.forEach((key, index) => lastOf.set(key, index));
  const unique = [...lastOf.values()].sort((a, b) => a - b);
  const uniqueKeys = unique.map((index) => keys[index]!);
  const ids = uniqueKeys.map((key) => readingIds.idOf(key));
  // The mapped device and subject, before they become literal references (a retry starts from
  // these). Kept as the mapped elements, not as key strings: a request holds them to its end.
  const mappedDevices = unique.map((index) => (observations[index]!.resource as Json).device as Json);
  const mappedSubjects = unique.map((index) => (observations[index]!.resource as Json).subject as Json | undefined);

  for (let attempt = 1; ; attempt++) {
    const committed: CommittedWrite[] = [];
    try {
      const result = await db.transaction(async (tx) => {
        const resolved = await resolveIdentities(tx, services, identities, deviceIdentityKey);
        // One reference text per device and patient, shared by their readings.
        const deviceReferences = new Map<string, string>();
        const patientReferences = new Map<string, string>();
        unique.forEach((index, position) => {
          const observation = observations[index]!.resource as Json;
          const device = mappedDevices[position]!.identifier as Json;
          const deviceKey = `${device.system}|${device.value}`;
          const patientId = resolved.patients.get(`${deviceKey}\n${subjectKey(mappedSubjects[position])}`);
          let deviceReference = deviceReferences.get(deviceKey);
          if (deviceReference === undefined) deviceReferences.set(deviceKey, (deviceReference = `Device/${resolved.devices.get(deviceKey)}`));
          observation.device = { reference: deviceReference };
          if (patientId) {
            let patientReference = patientReferences.get(patientId);
            if (patientReference === undefined) patientReferences.set(patientId, (patientReference = `Patient/${patientId}`));
            observation.subject = { reference: patientReference };
          }
        });

        const withContent = options.representation || unique.some((index) => observations[index]!.sampled);
        const stored = await storedReadings(tx, services, uniqueKeys, ids, withContent);
        const sampledIds = unique.flatMap((index, position) => {
          const found = stored.get(position);
          return observations[index]!.sampled && found && !found.deleted ? [found.id] : [];
        });
        if (sampledIds.length > 0) {
          // Lock the stored windows, then read them again in a new statement so a concurrent merge that committed meanwhile is seen.
          await tx.query(`SELECT rid FROM resource WHERE type = 'Observation' AND id = ANY($1::text[]) ORDER BY rid FOR UPDATE`, [sampledIds]);
          for (const [position, reading] of await storedReadings(tx, services, uniqueKeys, ids, true)) stored.set(position, reading);
        }

        const operations: WriteOperation[] = [...resolved.operations];
        const shellCount = operations.length;
        const outcomes: Array<ReadingResult | number> = [];
        unique.forEach((index, position) => {
          const mapped = observations[index]!;
          const found = stored.get(position);
          if (!found) {
            // New: created at its own id (a concurrent request that got there first fails this one: see below).
            outcomes.push(operations.length);
            operations.push({ action: 'create', method: 'POST', type: 'Observation', id: ids[position]!, resource: mapped.resource });
          } else if (found.deleted) {
            // Its Observation was deleted: it comes back at the same id, as a new version after the deletion.
            outcomes.push(operations.length);
            operations.push({ action: 'update', method: 'PUT', type: 'Observation', id: found.id, resource: mapped.resource });
          } else if (mapped.sampled && found.content) {
            outcomes.push(operations.length);
            operations.push({ action: 'update', method: 'PUT', type: 'Observation', id: found.id, resource: mergeStoredWindow(mapped.resource, parseJson(found.content) as Json) });
          } else {
            outcomes.push({ type: 'Observation', id: found.id, version: found.version, lastUpdated: found.lastUpdated, status: 200, ...(options.representation && found.content ? { json: found.content } : {}) });
          }
        });
        if (hook?.operations) {
          const targets = operations.map((op) => ({ type: op.type, id: op.id, action: op.action === 'update' ? ('update' as const) : ('create' as const), ...(op.resource ? { resource: op.resource } : {}) }));
          operations.push(...(await hook.operations({ source: options.source, sourceRecord, targets, tx })));
        }
        let results: CommittedWrite[] = [];
        try {
          if (operations.length > 0) results = await repository.writeInTransaction(tx, operations);
        } catch (error) {
          // A reading's id taken meanwhile: a concurrent request stored it first.
          if (sqlErrorCode(error) === PG_UNIQUE_VIOLATION) throw new ReadingRaced();
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
    } catch (error) {
      if (!(error instanceof ReadingRaced) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}
