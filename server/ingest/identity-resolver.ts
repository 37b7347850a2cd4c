import { newResourceId } from '../store/new-resource-id.ts';
import type { DeviceIdentity } from '../../mappings/map-payloads.ts';
import type { DeviceFacts } from '../../mappings/measurement.ts';
import type { FhirServices } from '../fhir/context.ts';
import { statementName } from '../store/statement-names.ts';
import type { Queryable } from '../store/database.ts';
import type { WriteOperation } from '../store/repository.ts';
import { claimKeys } from './ingest-keys.ts';

/** Identifier of the shell Patient created for a device whose payloads name no patient (create mode). */
export const DEVICE_PATIENT_SYSTEM = 'urn:vitalchain:device-patient';

export interface ResolvedIdentities {
  /** `system|value` of a device → Device id. */
  devices: Map<string, string>;
  /** deviceIdentityKey (device + patient hint) → Patient id. */
  patients: Map<string, string>;
  /** Shell Device and Patient resources to create with the readings (create mode). */
  operations: WriteOperation[];
}

/** A device or patient the payload names but the server does not know (lookup mode), or a device linked to no patient. */
export interface UnresolvedIdentity {
  diagnostics: string;
  /** device identifier or patient reference it concerns. */
  subject: string;
}

export class IdentityError extends Error {
  constructor(readonly unresolved: UnresolvedIdentity[]) {
    super(unresolved.map((entry) => entry.diagnostics).join('; '));
  }
}

interface Found {
  id: string;
  patient?: string;
}

const deviceKey = (facts: DeviceFacts) => `${facts.identifier.system}|${facts.identifier.value}`;

const FIND_BY_IDENTIFIER = `SELECT t.system, t.code, r.id, p.target_type, p.target_id
   FROM idx_token t
   JOIN resource r ON r.rid = t.rid AND r.type = $4 AND NOT r.deleted
   LEFT JOIN idx_reference p ON p.rid = r.rid AND p.pid = $5
  WHERE t.pid = $1 AND (t.code, t.system) IN (SELECT * FROM unnest($2::text[], $3::text[]))
  ORDER BY r.rid`;

/** Live resources of a type by one identifier each, with their `patient` reference (Device) from the index. */
async function findByIdentifier(tx: Queryable, services: FhirServices, type: 'Device' | 'Patient', identifiers: Array<{ system: string; value: string }>): Promise<Map<string, Found>> {
  const found = new Map<string, Found>();
  if (identifiers.length === 0) return found;
  const identifierPid = services.paramIds.pid(type, 'identifier');
  const patientPid = type === 'Device' ? services.paramIds.pid('Device', 'patient') : undefined;
  const { rows } = await tx.query<{ system: string; code: string; id: string; target_type: string | null; target_id: string | null }>(
    FIND_BY_IDENTIFIER,
    [identifierPid, identifiers.map((i) => i.value), identifiers.map((i) => i.system), type, patientPid ?? -1],
    statementName(FIND_BY_IDENTIFIER),
  );
  for (const row of rows) {
    const key = `${row.system}|${row.code}`;
    // Several resources with one identifier: the oldest wins, deterministically.
    if (found.has(key)) continue;
    found.set(key, { id: row.id, ...(row.target_type === 'Patient' && row.target_id ? { patient: row.target_id } : {}) });
  }
  return found;
}

async function existingPatients(tx: Queryable, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await tx.query<{ id: string }>(`SELECT id FROM resource WHERE type = 'Patient' AND NOT deleted AND id = ANY($1::text[])`, [ids]);
  return new Set(rows.map((row) => row.id));
}

function shellDevice(facts: DeviceFacts, patientId: string | undefined): Record<string, unknown> {
  const device: Record<string, unknown> = { resourceType: 'Device', identifier: [facts.identifier, ...(facts.otherIdentifiers ?? [])].map((i) => ({ system: i.system, value: i.value })) };
  if (facts.name) device.deviceName = [{ name: facts.name, type: 'user-friendly-name' }];
  if (facts.manufacturer) device.manufacturer = facts.manufacturer;
  if (facts.model) device.modelNumber = facts.model;
  if (facts.serialNumber) device.serialNumber = facts.serialNumber;
  if (facts.type?.length) device.type = { coding: facts.type.map((coding) => ({ ...coding })) };
  if (patientId) device.patient = { reference: `Patient/${patientId}` };
  return device;
}

/**
 * Finds the Device of every device identity (by identifier) and the Patient of its readings:
 * the one the payload names (literal reference or identifier), else the Device's patient. In
 * lookup mode anything unknown is an IdentityError (the caller answers 422 and writes nothing);
 * in create mode shell Devices and Patients are planned, their identifiers claimed in
 * ingest_key within the caller's transaction so concurrent requests create each only once.
 */
export async function resolveIdentities(tx: Queryable, services: FhirServices, identities: DeviceIdentity[], identityKey: (identity: DeviceIdentity) => string): Promise<ResolvedIdentities> {
  const resolved: ResolvedIdentities = { devices: new Map(), patients: new Map(), operations: [] };
  const unresolved: UnresolvedIdentity[] = [];
  const deviceFacts = new Map<string, DeviceIdentity>();
  for (const identity of identities) if (!deviceFacts.has(deviceKey(identity.device))) deviceFacts.set(deviceKey(identity.device), identity);
  const devices = await findByIdentifier(tx, services, 'Device', [...deviceFacts.values()].map((identity) => identity.device.identifier));

  const patientIdentifiers = new Map<string, { system: string; value: string }>();
  const patientReferences = new Set<string>();
  for (const identity of identities) {
    const hint = identity.patient;
    if (hint && 'identifier' in hint) patientIdentifiers.set(`${hint.identifier.system}|${hint.identifier.value}`, hint.identifier);
    else if (hint) patientReferences.add(hint.reference.slice('Patient/'.length));
    else if (!devices.get(deviceKey(identity.device))?.patient) {
      // Create mode gives such devices a shell patient keyed by the device.
      const key = deviceKey(identity.device);
      patientIdentifiers.set(`${DEVICE_PATIENT_SYSTEM}|${key}`, { system: DEVICE_PATIENT_SYSTEM, value: key });
    }
  }
  const patients = await findByIdentifier(tx, services, 'Patient', [...patientIdentifiers.values()]);
  const knownReferences = await existingPatients(tx, [...patientReferences]);

  // Create mode: claim what is missing, so a concurrent request creating the same shell waits and then reuses ours.
  const createMode = identities.some((identity) => identity.identity === 'create');
  const shellIds = new Map<string, string>();
  const claimedIds = new Set<string>();
  if (createMode) {
    const wanted: Array<{ key: string; id: string }> = [];
    for (const [key, identity] of deviceFacts) if (identity.identity === 'create' && !devices.has(key)) wanted.push({ key: `Device ${key}`, id: newResourceId() });
    for (const key of patientIdentifiers.keys()) if (!patients.has(key)) wanted.push({ key: `Patient ${key}`, id: newResourceId() });
    const claims = await claimKeys(tx, wanted);
    for (const { key, id, claimed } of claims) {
      shellIds.set(key, id);
      if (!claimed) continue;
      claimedIds.add(id);
      const [type, rest] = [key.slice(0, key.indexOf(' ')), key.slice(key.indexOf(' ') + 1)];
      if (type === 'Patient') {
        const bar = rest.indexOf('|');
        resolved.operations.push({ action: 'create', method: 'POST', type: 'Patient', id, resource: { resourceType: 'Patient', identifier: [{ system: rest.slice(0, bar), value: rest.slice(bar + 1) }] } });
      }
    }
  }

  const patientOf = (identity: DeviceIdentity): string | undefined => {
    const hint = identity.patient;
    const key = deviceKey(identity.device);
    if (hint && 'reference' in hint) {
      const id = hint.reference.slice('Patient/'.length);
      if (knownReferences.has(id)) return id;
      if (identity.identity === 'create') {
        if (!resolved.operations.some((op) => op.type === 'Patient' && op.id === id)) {
          resolved.operations.push({ action: 'update', method: 'PUT', type: 'Patient', id, resource: { resourceType: 'Patient', id } });
        }
        return id;
      }
      unresolved.push({ subject: hint.reference, diagnostics: `Unknown patient ${hint.reference} named by the payload of device ${key}` });
      return undefined;
    }
    const identifierKey = hint ? `${hint.identifier.system}|${hint.identifier.value}` : devices.get(key)?.patient ? undefined : `${DEVICE_PATIENT_SYSTEM}|${key}`;
    if (identifierKey === undefined) return devices.get(key)!.patient;
    const known = patients.get(identifierKey)?.id ?? (identity.identity === 'create' ? shellIds.get(`Patient ${identifierKey}`) : undefined);
    if (known) return known;
    if (hint) unresolved.push({ subject: identifierKey, diagnostics: `Unknown patient with identifier ${identifierKey} named by the payload of device ${key}` });
    else if (devices.has(key)) unresolved.push({ subject: key, diagnostics: `Device/${devices.get(key)!.id} (identifier ${key}) is linked to no Patient and the payload names none` });
    return undefined;
  };

  for (const [key, identity] of deviceFacts) {
    const found = devices.get(key);
    if (found) resolved.devices.set(key, found.id);
    else if (identity.identity === 'create') resolved.devices.set(key, shellIds.get(`Device ${key}`)!);
    else unresolved.push({ subject: key, diagnostics: `Unknown device ${key}: no Device has this identifier (the mapping resolves devices by lookup; register the Device, or use a mapping with identity "create")` });
  }
  for (const identity of identities) {
    const key = deviceKey(identity.device);
    if (!resolved.devices.has(key)) continue;
    const patientId = patientOf(identity);
    if (patientId) resolved.patients.set(identityKey(identity), patientId);
  }
  if (unresolved.length > 0) throw new IdentityError(unresolved);

  // Shell Devices created now link to the patient of their first readings.
  if (createMode) {
    for (const [key, identity] of deviceFacts) {
      const id = shellIds.get(`Device ${key}`);
      if (!id || !claimedIds.has(id)) continue;
      resolved.operations.push({ action: 'create', method: 'POST', type: 'Device', id, resource: shellDevice(identity.device, resolved.patients.get(identityKey(identity))) });
    }
  }
  return resolved;
}
