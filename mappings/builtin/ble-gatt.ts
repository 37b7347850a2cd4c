import { decodeBloodPressureMeasurement } from '../ble/blood-pressure-measurement.ts';
import { GattReader } from '../ble/gatt-reader.ts';
import type { GattReading } from '../ble/gatt-reading.ts';
import { decodeGlucoseMeasurement } from '../ble/glucose-measurement.ts';
import { decodeHeartRateMeasurement } from '../ble/heart-rate-measurement.ts';
import { decodePlxContinuous, decodePlxSpotCheck } from '../ble/plx-measurement.ts';
import { decodeTemperatureMeasurement } from '../ble/temperature-measurement.ts';
import { decodeWeightMeasurement } from '../ble/weight-measurement.ts';
import { deviceFromId, patientHint } from '../identity.ts';
import { PayloadError, type MappingIssue } from '../issue.ts';
import type { Mapping, NormalizeResult } from '../mapping.ts';
import type { Measurement } from '../measurement.ts';
import { standardRuleFor } from '../observation-rule.ts';
import type { PayloadInput } from '../payload.ts';
import { fieldsToDateTime, parseIsoDateTime, zoneOffsetMinutes } from '../timestamps.ts';

interface Characteristic {
  name: string;
  decode(reader: GattReader): GattReading[];
}

const CHARACTERISTICS: Record<number, Characteristic> = {
  0x2a37: { name: 'Heart Rate Measurement', decode: decodeHeartRateMeasurement },
  0x2a35: { name: 'Blood Pressure Measurement', decode: decodeBloodPressureMeasurement },
  0x2a1c: { name: 'Temperature Measurement', decode: decodeTemperatureMeasurement },
  0x2a18: { name: 'Glucose Measurement', decode: decodeGlucoseMeasurement },
  0x2a5e: { name: 'PLX Spot-Check Measurement', decode: decodePlxSpotCheck },
  0x2a5f: { name: 'PLX Continuous Measurement', decode: decodePlxContinuous },
  0x2a9d: { name: 'Weight Measurement', decode: decodeWeightMeasurement },
};

const BASE_UUID_SUFFIX = '-0000-1000-8000-00805f9b34fb';

/** `2A35`, `0x2A35` or the full 128-bit Bluetooth base UUID → 16-bit assigned number. */
export function characteristicNumber(text: string): number | undefined {
  const trimmed = text.trim().toLowerCase();
  let hex: string | undefined;
  if (/^(0x)?[0-9a-f]{4}$/.test(trimmed)) hex = trimmed.replace(/^0x/, '');
  else if (/^0000[0-9a-f]{4}-0000-1000-8000-00805f9b34fb$/.test(trimmed) && trimmed.endsWith(BASE_UUID_SUFFIX)) hex = trimmed.slice(4, 8);
  return hex === undefined ? undefined : parseInt(hex, 16);
}

function decodeBytes(body: Record<string, unknown>): Uint8Array {
  if (typeof body.value === 'string') {
    const hex = body.value.replace(/[\s:-]/g, '').replace(/^0x/i, '');
    if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) {
      throw new PayloadError(`'value' must be a hex string of whole bytes, got ${JSON.stringify(body.value)}`, '$.value');
    }
    return Uint8Array.from(Buffer.from(hex, 'hex'));
  }
  if (typeof body.valueBase64 === 'string') {
    const text = body.valueBase64.trim();
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) throw new PayloadError(`'valueBase64' is not valid base64`, '$.valueBase64');
    return Uint8Array.from(Buffer.from(text, 'base64'));
  }
  throw new PayloadError("A BLE payload needs 'value' (hex) or 'valueBase64'", '$.value', 'required');
}

/** Offset of the gateway's own timestamp, used to place the device's offset-less Date_Time. */
function zoneFromGateway(timestamp: string | undefined, contextZone: string | undefined): string | undefined {
  if (contextZone) return contextZone;
  if (!timestamp) return undefined;
  // Only the last six characters can hold the offset: an anchored test of the tail avoids the
  // regular expression retrying at every position of the string (it showed in ingestion profiles).
  const tail = timestamp.trim().slice(-6);
  if (tail.endsWith('Z')) return 'UTC';
  return /^[+-]\d{2}:\d{2}$/.test(tail) ? tail : undefined;
}

/**
 * Bluetooth GATT health characteristics relayed by a gateway as JSON:
 * `{"characteristic": "2A35" | "0x2A35" | 128-bit UUID, "value": hex | "valueBase64", "deviceId",
 * "timestamp"?, "patient"?}`. The device's Date_Time (no offset on the wire) is placed in the
 * caller's zone, else the gateway timestamp's offset, else UTC with a warning; readings without
 * any time use the gateway timestamp, else the reception time (PHD IG rule), else are refused.
 */
function normalize(payload: PayloadInput): NormalizeResult {
  const issues: MappingIssue[] = [];
  const body = payload.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new PayloadError('A BLE payload must be a JSON object', '$', 'structure');
  const record = body as Record<string, unknown>;
  if (typeof record.characteristic !== 'string') throw new PayloadError("'characteristic' (e.g. \"2A35\") is required", '$.characteristic', 'required');
  const number = characteristicNumber(record.characteristic);
  const characteristic = number === undefined ? undefined : CHARACTERISTICS[number];
  if (!characteristic) {
    throw new PayloadError(`Unknown or unsupported characteristic '${record.characteristic}'; supported: ${Object.keys(CHARACTERISTICS).map((n) => Number(n).toString(16).toUpperCase()).join(', ')}`, '$.characteristic', 'not-supported');
  }
  const deviceId = typeof record.deviceId === 'string' && record.deviceId.trim() ? record.deviceId.trim() : undefined;
  const contextDevice = payload.context?.device;
  if (!deviceId && !contextDevice) throw new PayloadError("'deviceId' is required to identify the device", '$.deviceId', 'required');
  const device = deviceId ? deviceFromId(deviceId) : { identifier: contextDevice! };
  const patient = patientHint(typeof record.patient === 'string' ? record.patient : payload.context?.patient);
  const bytes = decodeBytes(record);
  const readings = characteristic.decode(new GattReader(bytes, characteristic.name));

  const gatewayTime = typeof record.timestamp === 'string' ? record.timestamp : undefined;
  let fallback: string | undefined;
  if (gatewayTime !== undefined) {
    const parsed = parseIsoDateTime(gatewayTime, payload.context?.timeZone);
    if (!parsed) throw new PayloadError(`'timestamp' ${JSON.stringify(gatewayTime)} is not an ISO-8601 date-time`, '$.timestamp', 'value');
    fallback = parsed.value;
  } else if (payload.context?.receivedAt) fallback = payload.context.receivedAt;
  const zone = zoneFromGateway(gatewayTime, payload.context?.timeZone);

  const measurements: Measurement[] = [];
  for (const reading of readings) {
    let start = fallback;
    const time = reading.time;
    if (time && !reading.clockNotSet && time.year !== 0 && time.month !== 0 && time.day !== 0) {
      const placed = fieldsToDateTime(time.year, time.month, time.day, time.hours, time.minutes, time.seconds, zone);
      if (!placed) throw new PayloadError(`Device time ${time.year}-${time.month}-${time.day} ${time.hours}:${time.minutes}:${time.seconds} is not a valid date-time`, '$.value', 'value');
      start = placed.value;
      if (reading.timeOffsetMinutes) start = shiftMinutes(start, reading.timeOffsetMinutes, zone);
      if (!zone) warnOnce(issues, 'Device time has no UTC offset and none was given (timeZone or an offset on timestamp); read as UTC');
    } else if (time || reading.clockNotSet) {
      warnOnce(issues, `${characteristic.name}: device time unknown or clock not set; using the gateway or reception time`);
    }
    if (!start) throw new PayloadError(`${characteristic.name} carries no time stamp; 'timestamp' is required`, '$.timestamp', 'required');
    const measurement: Measurement = { type: reading.type, start, device, values: reading.values, source: { source: 'payload', path: '$.value' } };
    if (patient) measurement.patient = patient;
    if (reading.codes) measurement.codes = reading.codes;
    if (reading.flags) measurement.flags = reading.flags;
    if (reading.note) measurement.note = reading.note;
    if (reading.bodySite) measurement.bodySite = { text: reading.bodySite };
    if (reading.testData) measurement.testData = true;
    measurements.push(measurement);
  }
  return { measurements, issues };
}

/** A warning about the payload's value, once per payload. A module function, not a closure per payload: tsx names each closure it builds. */
function warnOnce(issues: MappingIssue[], diagnostics: string): void {
  if (issues.some((issue) => issue.diagnostics === diagnostics)) return;
  issues.push({ severity: 'warning', code: 'incomplete', diagnostics, location: { source: 'payload', path: '$.value' } });
}

function shiftMinutes(dateTime: string, minutes: number, zone: string | undefined): string {
  const millis = Date.parse(dateTime) + minutes * 60_000;
  const offset = zone ? (zoneOffsetMinutes(zone, millis) ?? 0) : 0;
  const local = new Date(millis + offset * 60_000).toISOString().slice(0, 19);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return offset === 0 ? `${local}Z` : `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

export const bleGattMapping: Mapping = {
  id: 'ble-gatt',
  title: 'Bluetooth GATT health characteristics (gateway JSON)',
  kind: 'builtin',
  identity: 'lookup',
  formats: ['json'],
  normalize,
  ruleFor: standardRuleFor,
};
