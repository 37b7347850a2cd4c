import { patientHint } from '../identity.ts';
import { PayloadError, type MappingIssue } from '../issue.ts';
import type { Mapping, NormalizeResult } from '../mapping.ts';
import type { Measurement } from '../measurement.ts';
import { standardRuleFor } from '../observation-rule.ts';
import type { PayloadInput } from '../payload.ts';
import { parseIsoDateTime } from '../timestamps.ts';
import { vendorDevice, vendorPatientSystem } from './vendor-device.ts';

type Json = Record<string, unknown>;

/**
 * Dexcom API v3 estimated glucose values (`GET /v3/users/self/egvs`): `{recordType: "egv",
 * records: [...]}`. `systemTime` is UTC by the device clock but written without an offset (a
 * documented pitfall): it is read as UTC; `displayTime` (local, user-adjustable) is not used.
 * mg/dL readings map to CGM IG 99504-3, mmol/L to 105272-9. A record without a value
 * (status high/low outside the sensor range) gets a data-absent reason and a note.
 */
function normalize(payload: PayloadInput): NormalizeResult {
  const issues: MappingIssue[] = [];
  const root = payload.body as Json;
  if (root === null || typeof root !== 'object' || Array.isArray(root)) throw new PayloadError('A Dexcom response must be a JSON object', '$', 'structure');
  if (root.recordType !== undefined && root.recordType !== 'egv') throw new PayloadError(`recordType '${String(root.recordType)}' is not 'egv'`, '$.recordType', 'not-supported');
  if (!Array.isArray(root.records)) throw new PayloadError('records must be an array', '$.records', 'structure');
  const patient = patientHint(payload.context?.patient) ?? (typeof root.userId === 'string' ? { identifier: { system: vendorPatientSystem('dexcom'), value: root.userId } } : undefined);
  const measurements: Measurement[] = [];
  (root.records as Json[]).forEach((record, i) => {
    const at = `$.records[${i}]`;
    const transmitter = typeof record.transmitterId === 'string' && record.transmitterId ? record.transmitterId : undefined;
    const device = transmitter ? vendorDevice('dexcom', transmitter) : payload.context?.device ? { identifier: payload.context.device } : undefined;
    if (!device) throw new PayloadError('No device identity: transmitterId is missing and none was given', `${at}.transmitterId`, 'required');
    device.manufacturer = 'Dexcom';
    if (typeof record.transmitterGeneration === 'string') device.model = record.transmitterGeneration;
    if (typeof record.systemTime !== 'string') throw new PayloadError('systemTime is required', `${at}.systemTime`, 'required');
    const time = parseIsoDateTime(record.systemTime, 'UTC');
    if (!time) throw new PayloadError(`systemTime ${JSON.stringify(record.systemTime)} is not a date-time`, `${at}.systemTime`, 'value');
    const unit = record.unit === 'mmol/L' ? 'mmol/L' : 'mg/dL';
    if (record.unit !== undefined && record.unit !== 'mg/dL' && record.unit !== 'mmol/L') {
      issues.push({ severity: 'warning', code: 'value', diagnostics: `Unit '${String(record.unit)}' unknown; mg/dL assumed`, location: { source: 'payload', path: `${at}.unit` } });
    }
    const measurement: Measurement = {
      type: unit === 'mmol/L' ? 'cgm-glucose-molar' : 'cgm-glucose',
      start: time.value,
      device,
      values: [record.value === null || record.value === undefined ? { name: 'value', absent: 'unknown', unit } : { name: 'value', value: record.value as number, unit, path: `${at}.value` }],
      source: { source: 'payload', path: at },
    };
    if (patient) measurement.patient = patient;
    const notes = [record.status && record.status !== 'ok' ? `status ${String(record.status)}` : undefined, record.trend ? `trend ${String(record.trend)}` : undefined].filter(Boolean);
    if (notes.length > 0) measurement.note = notes.join('; ');
    measurements.push(measurement);
  });
  return { measurements, issues };
}

export const dexcomMapping: Mapping = {
  id: 'dexcom',
  title: 'Dexcom API v3 estimated glucose values (CGM)',
  kind: 'builtin',
  identity: 'lookup',
  formats: ['json'],
  normalize,
  ruleFor: standardRuleFor,
};
