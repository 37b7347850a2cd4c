import type { DeviceFacts, Identifier, Measurement, PatientHint } from './measurement.ts';
import { digitsAt, isRealDateTime } from './timestamps.ts';

/** System of the identifier that makes re-ingestion idempotent (conditional create / upsert key). */
export const INGEST_IDENTIFIER_SYSTEM = 'urn:vitalchain:ingest-identity';
/** Device ids that payloads give without a naming system (MedTech deviceId, gateway ids, vendor device ids). */
export const DEVICE_ID_SYSTEM = 'urn:vitalchain:device-id';
/** Patient ids that payloads give without a naming system (MedTech patientId, OMH user id). */
export const PATIENT_ID_SYSTEM = 'urn:vitalchain:patient-id';
/** PHD IG identifier systems (HL7/phd PhdDevice examples). */
export const EUI64_SYSTEM = 'urn:oid:1.2.840.10004.1.1.1.0.0.1.0.0.1.2680';
export const BLUETOOTH_MAC_SYSTEM = 'http://hl7.org/fhir/sid/eui-48/bluetooth';

const HEX_DIGITS = '0123456789ABCDEF';

/** What `\s` matches in a regular expression, besides the ASCII space. */
function isSpace(c: number): boolean {
  return (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/**
 * Exactly `digits` hex digits, separators (`:`, `-`, white space) anywhere between them ignored,
 * as upper-case pairs joined by `-`; undefined for anything else. A character loop: it runs for
 * every reading, where replace, test, match and join cost about 1.5 % of ingest CPU.
 */
function pairedHex(text: string, digits: number): string | undefined {
  let paired = '';
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let value: number;
    if (c >= 48 && c <= 57) value = c - 48;
    else if (c >= 65 && c <= 70) value = c - 55;
    else if (c >= 97 && c <= 102) value = c - 87;
    else if (c === 58 || c === 45 || c === 32 || isSpace(c)) continue;
    else return undefined;
    if (count === digits) return undefined;
    paired += count > 0 && count % 2 === 0 ? `-${HEX_DIGITS[value]}` : HEX_DIGITS[value];
    count++;
  }
  return count === digits ? paired : undefined;
}

/** `AA:BB:CC:DD:EE:FF` / `aabbccddeeff` → `AA-BB-CC-DD-EE-FF` (PHD IG spelling), or undefined when not a MAC. */
export function normalizeMac(text: string): string | undefined {
  return pairedHex(text, 12);
}

/** 16 hex digits → `01-23-45-67-89-AB-CD-EF` (PHD IG spelling of an EUI-64 system id). */
export function normalizeEui64(text: string): string | undefined {
  return pairedHex(text, 16);
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
  // Already a real UTC instant to the second or millisecond (most device times): its text is what
  // the round trip through Date below would print, so it is rearranged without one.
  if ((dateTime.length === 20 || (dateTime.length === 24 && dateTime[19] === '.' && digitsAt(dateTime, 20, 3) >= 0)) && dateTime.endsWith('Z') && isRealDateTime(dateTime)) {
    const base = `${dateTime.slice(0, 4)}${dateTime.slice(5, 7)}${dateTime.slice(8, 10)}T${dateTime.slice(11, 13)}${dateTime.slice(14, 16)}${dateTime.slice(17, 19)}`;
    return dateTime.length === 24 && !dateTime.startsWith('.000', 19) ? `${base}${dateTime.slice(19, 23)}Z` : `${base}Z`;
  }
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

/**
 * The start time an ingest identifier value names, in Unix milliseconds (NaN when it names none):
 * the part after its last `|`, up to a `/` (periods), as compactInstant wrote it or a date. The
 * server names a reading by it (server/ingest/reading-ids.ts).
 */
export function identifierTime(ingestIdentifier: string): number {
  const from = ingestIdentifier.lastIndexOf('|') + 1;
  const slash = ingestIdentifier.indexOf('/', from);
  const time = ingestIdentifier.slice(from, slash < 0 ? undefined : slash);
  // compactInstant's form, YYYYMMDDThhmmss[.sss]Z, read digit by digit (this runs for every reading).
  const fraction = time.length === 20 && time[15] === '.' ? digitsAt(time, 16, 3) : -1;
  const fields = time[8] === 'T' && time.endsWith('Z') && (time.length === 16 || fraction >= 0)
    ? [digitsAt(time, 0, 4), digitsAt(time, 4, 2), digitsAt(time, 6, 2), digitsAt(time, 9, 2), digitsAt(time, 11, 2), digitsAt(time, 13, 2)]
    : undefined;
  if (!fields || fields.some((field) => field < 0)) return Date.parse(time);
  const [year, month, day, hour, minute, second] = fields as [number, number, number, number, number, number];
  return Date.UTC(year, month - 1, day, hour, minute, second, Math.max(fraction, 0));
}

export function measurementIdentifier(measurement: Measurement): Identifier {
  return ingestIdentifier(measurement.device.identifier, measurement.type, measurement.start, measurement.end);
}
