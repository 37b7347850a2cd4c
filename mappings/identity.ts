import type { DeviceFacts, Identifier, Measurement, PatientHint } from './measurement.ts';

/** System of the identifier that makes re-ingestion idempotent (conditional create / upsert key). */
export const INGEST_IDENTIFIER_SYSTEM = 'urn:vitalchain:ingest-identity';
/** Device ids that payloads give without a naming system (MedTech deviceId, gateway ids, vendor device ids). */
export const DEVICE_ID_SYSTEM = 'urn:vitalchain:device-id';
/** Patient ids that payloads give without a naming system (MedTech patientId, OMH user id). */
export const PATIENT_ID_SYSTEM = 'urn:vitalchain:patient-id';
/** PHD IG identifier systems (HL7/phd PhdDevice examples). */
export const EUI64_SYSTEM = 'urn:oid:1.2.840.10004.1.1.1.0.0.1.0.0.1.2680';
export const BLUETOOTH_MAC_SYSTEM = 'http://hl7.org/fhir/sid/eui-48/bluetooth';

/** `AA:BB:CC:DD:EE:FF` / `aabbccddeeff` → `AA-BB-CC-DD-EE-FF` (PHD IG spelling), or undefined when not a MAC. */
export function normalizeMac(text: string): string | undefined {
  const hex = text.replace(/[:\-\s]/g, '');
  if (!/^[0-9a-fA-F]{12}$/.test(hex)) return undefined;
  return hex.toUpperCase().match(/../g)!.join('-');
}

/** 16 hex digits → `01-23-45-67-89-AB-CD-EF` (PHD IG spelling of an EUI-64 system id). */
export function normalizeEui64(text: string): string | undefined {
  const hex = text.replace(/[:\-\s]/g, '');
  if (!/^[0-9a-fA-F]{16}$/.test(hex)) return undefined;
  return hex.toUpperCase().match(/../g)!.join('-');
}

/** Device facts from a bare id: MACs and EUI-64s get their PHD systems, anything else the generic device-id system. */
export function deviceFromId(id: string, system?: string): DeviceFacts {
  if (system) return { identifier: { system, value: id } };
  const mac = normalizeMac(id);
  if (mac) return { identifier: { system: BLUETOOTH_MAC_SYSTEM, value: mac } };
  const eui = normalizeEui64(id);
  if (eui) return { identifier: { system: EUI64_SYSTEM, value: eui } };
  return { identifier: { system: DEVICE_ID_SYSTEM, value: id } };
}

/**
 * Patient hint from what a payload or caller names: `Patient/123` stays a literal reference,
 * `system|value` becomes an identifier, anything else an identifier in the generic system.
 * Never an invented resource id.
 */
export function patientHint(text: string | undefined): PatientHint | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  if (/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(trimmed)) return { reference: trimmed };
  const bar = trimmed.indexOf('|');
  if (bar > 0 && bar < trimmed.length - 1) return { identifier: { system: trimmed.slice(0, bar), value: trimmed.slice(bar + 1) } };
  return { identifier: { system: PATIENT_ID_SYSTEM, value: trimmed } };
}

export function subjectReference(hint: PatientHint): Record<string, unknown> {
  return 'reference' in hint ? { reference: hint.reference } : { identifier: { ...hint.identifier } };
}

export function deviceReference(device: DeviceFacts): Record<string, unknown> {
  return { identifier: { system: device.identifier.system, value: device.identifier.value } };
}

/** Instant in UTC, compact, to the millisecond when present: `20190201T224601.875Z`. Dates pass through. */
function compactInstant(dateTime: string): string {
  if (dateTime.length <= 10) return dateTime;
  const millis = Date.parse(dateTime);
  if (Number.isNaN(millis)) return dateTime;
  const iso = new Date(millis).toISOString();
  const base = iso.slice(0, 19).replace(/[-:]/g, '');
  const fraction = iso.slice(19, 23);
  return fraction === '.000' ? `${base}Z` : `${base}${fraction}Z`;
}

/**
 * The idempotency identifier of an Observation: device (system + value) + type + effective time in
 * UTC. The same reading sent twice, or with its time in another offset, yields the same value, so
 * the server can upsert on it; a different device, type or time never collides.
 */
export function ingestIdentifier(device: Identifier, type: string, start: string, end?: string): Identifier {
  const time = end && end !== start ? `${compactInstant(start)}/${compactInstant(end)}` : compactInstant(start);
  return { system: INGEST_IDENTIFIER_SYSTEM, value: `${device.system}|${device.value}|${type}|${time}` };
}

const COMPACT_INSTANT = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\.\d{3})?Z$/;

/**
 * The start time an ingest identifier value names, in Unix milliseconds (NaN when it names none):
 * the part after its last `|`, up to a `/` (periods), as compactInstant wrote it or a date. The
 * server names a reading by it (server/ingest/reading-ids.ts).
 */
export function identifierTime(ingestIdentifier: string): number {
  const time = ingestIdentifier.slice(ingestIdentifier.lastIndexOf('|') + 1).split('/')[0];
  const compact = COMPACT_INSTANT.exec(time);
  if (!compact) return Date.parse(time);
  const [, year, month, day, hour, minute, second, fraction] = compact;
  return Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), fraction ? Number(fraction.slice(1)) : 0);
}

export function measurementIdentifier(measurement: Measurement): Identifier {
  return ingestIdentifier(measurement.device.identifier, measurement.type, measurement.start, measurement.end);
}
