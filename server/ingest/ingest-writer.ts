import { INGEST_IDENTIFIER_SYSTEM } from '../../mappings/identity.ts';
import type { DeviceIdentity } from '../../mappings/map-payloads.ts';
import { asFhirError, type FhirServices } from '../fhir/context.ts';
import { parseJson } from '../fhir/json/index.ts';
import { PG_UNIQUE_VIOLATION, sqlErrorCode, type Queryable } from '../store/database.ts';
import type { CommittedWrite, WriteOperation } from '../store/repository.ts';
import { resolveIdentities } from './identity-resolver.ts';
import type { ReadingIds } from './reading-ids.ts';
import { storedReadings } from './stored-readings.ts';
import { deviceIdentityKey, type MappedObservation } from './map-request.ts';
import { ingestProvenanceHook, type IngestCommitPlan, type IngestProvenanceHook, type IngestSource } from './provenance-hook.ts';
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

  // Loops here and in writeReadings, not callbacks made per request (server/ingest/README.md, "Optimized code").
  // Last write wins for a reading repeated within the request (MedTech's rule).
  const keys = new Array<string>(observations.length);
  const lastOf = new Map<string, number>();
  for (let index = 0; index < observations.length; index++) lastOf.set((keys[index] = ingestKey(observations[index]!.resource)), index);
  const unique = [...lastOf.values()].sort(ascending);
  const uniqueKeys = new Array<string>(unique.length);
  const ids = new Array<string>(unique.length);
  // The mapped device and subject, before they become literal references (a retry starts from
  // these). Kept as the mapped elements, not as key strings: a request holds them to its end.
  const mappedDevices = new Array<Json>(unique.length);
  const mappedSubjects = new Array<Json | undefined>(unique.length);
  let anySampled = false;
  for (let position = 0; position < unique.length; position++) {
    const index = unique[position]!;
    const resource = observations[index]!.resource as Json;
    uniqueKeys[position] = keys[index]!;
    ids[position] = readingIds.idOf(keys[index]!);
    mappedDevices[position] = resource.device as Json;
    mappedSubjects[position] = resource.subject as Json | undefined;
    anySampled ||= observations[index]!.sampled;
  }

  const request: ReadingsRequest = { services, hook, sourceRecord, observations, identities, options, keys, unique, uniqueKeys, ids, mappedDevices, mappedSubjects, anySampled };
  for (let attempt = 1; ; attempt++) {
    const committed: CommittedWrite[] = [];
    try {
      const result = await db.transaction((tx) => writeReadings(tx, request, committed));
      repository.committed(committed);
      hook?.committed?.(committed, options.source);
      return result;
    } catch (error) {
      if (!(error instanceof ReadingRaced) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

function ascending(a: number, b: number): number {
  return a - b;
}

function readingResult(write: CommittedWrite, representation: boolean): ReadingResult {
  return {
    type: write.type,
    id: write.id,
    version: write.version,
    lastUpdated: write.lastUpdated,
    status: write.created ? 201 : 200,
    ...(representation ? { json: write.json } : {}),
  };
}

/** One request's readings as writeIngest prepared them, for each attempt at writing them. */
interface ReadingsRequest {
  services: FhirServices;
  hook: IngestProvenanceHook | undefined;
  sourceRecord: unknown;
  observations: MappedObservation[];
  identities: DeviceIdentity[];
  options: { representation: boolean; source: IngestSource };
  /** Per observation. */
  keys: string[];
  /** Observation indices of the readings written (the last of each key), ascending; the arrays below are by position in it. */
  unique: number[];
  uniqueKeys: string[];
  ids: string[];
  mappedDevices: Json[];
  mappedSubjects: Array<Json | undefined>;
  anySampled: boolean;
}

/** One attempt, inside its transaction; what it wrote goes into `committed`. A module function, not a closure made per request (see writeIngest). */
async function writeReadings(tx: Queryable, request: ReadingsRequest, committed: CommittedWrite[]): Promise<IngestWriteResult> {
  const { services, hook, sourceRecord, observations, identities, options, keys, unique, uniqueKeys, ids, mappedDevices, mappedSubjects, anySampled } = request;
  const { repository } = services;
  const resolved = await resolveIdentities(tx, services, identities, deviceIdentityKey);
  // One reference text per device and patient, shared by their readings.
  const deviceReferences = new Map<string, string>();
  const patientReferences = new Map<string, string>();
  for (let position = 0; position < unique.length; position++) {
    const observation = observations[unique[position]!]!.resource as Json;
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
  }

  const withContent = options.representation || anySampled;
  const stored = await storedReadings(tx, services, uniqueKeys, ids, withContent);
  const sampledIds: string[] = [];
  if (anySampled) {
    for (let position = 0; position < unique.length; position++) {
      const found = stored.get(position);
      if (observations[unique[position]!]!.sampled && found && !found.deleted) sampledIds.push(found.id);
    }
  }
  if (sampledIds.length > 0) {
    // Lock the stored windows, then read them again in a new statement so a concurrent merge that committed meanwhile is seen.
    await tx.query(`SELECT rid FROM resource WHERE type = 'Observation' AND id = ANY($1::text[]) ORDER BY rid FOR UPDATE`, [sampledIds]);
    for (const [position, reading] of await storedReadings(tx, services, uniqueKeys, ids, true)) stored.set(position, reading);
  }

  const operations: WriteOperation[] = [...resolved.operations];
  const shellCount = operations.length;
  const outcomes: Array<ReadingResult | number> = [];
  for (let position = 0; position < unique.length; position++) {
    const mapped = observations[unique[position]!]!;
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
  }
  let plan: IngestCommitPlan | undefined;
  if (hook?.operations) {
    const targets: IngestCommitPlan['targets'] = new Array(operations.length);
    for (let i = 0; i < operations.length; i++) {
      const op = operations[i]!;
      targets[i] = { type: op.type, id: op.id, action: op.action === 'update' ? 'update' : 'create', ...(op.resource ? { resource: op.resource } : {}) };
    }
    plan = { source: options.source, sourceRecord, targets, tx };
    operations.push(...(await hook.operations(plan)));
  }
  let results: CommittedWrite[] = [];
  try {
    if (operations.length > 0) results = await repository.writeInTransaction(tx, operations);
  } catch (error) {
    // A reading's id taken meanwhile: a concurrent request stored it first.
    if (sqlErrorCode(error) === PG_UNIQUE_VIOLATION) throw new ReadingRaced();
    throw asFhirError(error);
  }
  if (plan && hook?.written) await hook.written(plan, results);
  committed.push(...results);
  const byKey = new Map<string, ReadingResult>();
  for (let position = 0; position < unique.length; position++) {
    const outcome = outcomes[position]!;
    byKey.set(uniqueKeys[position]!, typeof outcome === 'number' ? readingResult(results[outcome]!, options.representation) : outcome);
  }
  const readings = new Array<ReadingResult>(keys.length);
  for (let index = 0; index < keys.length; index++) readings[index] = byKey.get(keys[index]!)!;
  const shells = new Array<ReadingResult>(shellCount);
  for (let i = 0; i < shellCount; i++) shells[i] = readingResult(results[i]!, options.representation);
  return { readings, shells, committed: results };
}
