import { decimalFromMantissa } from '../decimal-text.ts';
import { patientHint } from '../identity.ts';
import { PayloadError, type MappingIssue } from '../issue.ts';
import type { Mapping, NormalizeResult } from '../mapping.ts';
import type { DeviceFacts, Measurement, MeasurementValue } from '../measurement.ts';
import { standardRuleFor } from '../observation-rule.ts';
import type { PayloadInput } from '../payload.ts';
import { fromUnixSeconds } from '../timestamps.ts';
import { vendorDevice } from './vendor-device.ts';

type Json = Record<string, unknown>;

/** Withings meastype → vital and unit (openmhealth/shimmer WithingsBodyMeasureType; reference note §8). */
const MEASURE_TYPES: Record<number, { vital: string; unit: string; name?: string }> = {
  1: { vital: 'body-weight', unit: 'kg' },
  4: { vital: 'body-height', unit: 'm' },
  9: { vital: 'blood-pressure', unit: 'mm[Hg]', name: 'diastolic' },
  10: { vital: 'blood-pressure', unit: 'mm[Hg]', name: 'systolic' },
  11: { vital: 'heart-rate', unit: '/min' },
  54: { vital: 'oxygen-saturation', unit: '%' },
  71: { vital: 'body-temperature', unit: 'Cel' },
};

const ATTRIB_TEXT: Record<number, string> = { 1: 'Ambiguous: a multi-user device could not tell whose measurement this is', 2: 'Entered manually', 4: 'Entered manually during account creation' };

/**
 * Withings `measure?action=getmeas` responses: real value = value × 10^unit (kept exactly: 74126
 * with unit −3 is 74.126 kg). Systolic (10) and diastolic (9) of one group form one blood-pressure
 * panel. Goals (category 2) are not measurements and are skipped. `status` ≠ 0 is an API error
 * even when HTTP said 200 (an expired token answers `{"status":401}`).
 */
function normalize(payload: PayloadInput): NormalizeResult {
  const issues: MappingIssue[] = [];
  const root = payload.body as Json;
  if (root === null || typeof root !== 'object' || Array.isArray(root)) throw new PayloadError('A Withings response must be a JSON object', '$', 'structure');
  if (root.status !== 0) throw new PayloadError(`Withings answered status ${JSON.stringify(root.status ?? null)} (not 0): an API error, not measurements`, '$.status', 'processing');
  const body = root.body as Json | undefined;
  const groups = body?.measuregrps;
  if (!Array.isArray(groups)) throw new PayloadError('body.measuregrps must be an array', '$.body.measuregrps', 'structure');
  const timeZone = payload.context?.timeZone ?? (typeof body!.timezone === 'string' ? body!.timezone : undefined);
  const patient = patientHint(payload.context?.patient);
  const measurements: Measurement[] = [];
  groups.forEach((group: Json, g) => {
    const at = `$.body.measuregrps[${g}]`;
    if (group.category === 2) {
      issues.push({ severity: 'information', code: 'informational', diagnostics: 'Group is a user objective (category 2), not a measurement; skipped', location: { source: 'payload', path: `${at}.category` } });
      return;
    }
    if (typeof group.date !== 'number') throw new PayloadError('Group date (unix seconds) is required', `${at}.date`, 'required');
    const start = fromUnixSeconds(group.date, timeZone);
    const deviceId = typeof group.deviceid === 'string' ? group.deviceid : typeof group.hash_deviceid === 'string' ? group.hash_deviceid : undefined;
    const device: DeviceFacts | undefined = deviceId ? vendorDevice('withings', deviceId) : payload.context?.device ? { identifier: payload.context.device } : undefined;
    if (!device) throw new PayloadError('No device identity: the group has no deviceid and none was given', `${at}.deviceid`, 'required');
    if (typeof group.model === 'string' || typeof group.model === 'number') device.model = String(group.model);
    device.manufacturer = 'Withings';
    const byVital = new Map<string, MeasurementValue[]>();
    const measures = Array.isArray(group.measures) ? (group.measures as Json[]) : [];
    measures.forEach((measure, m) => {
      const path = `${at}.measures[${m}]`;
      const kind = MEASURE_TYPES[measure.type as number];
      if (!kind) {
        issues.push({ severity: 'information', code: 'not-supported', diagnostics: `Withings meastype ${JSON.stringify(measure.type)} is not mapped; skipped`, location: { source: 'payload', path: `${path}.type` } });
        return;
      }
      if (!Number.isInteger(measure.value) || !Number.isInteger(measure.unit)) throw new PayloadError('Measure value and unit must be integers', path, 'value');
      const value: MeasurementValue = { name: kind.name ?? 'value', value: decimalFromMantissa(measure.value as number, measure.unit as number), unit: kind.unit, path: `${path}.value` };
      if (!byVital.has(kind.vital)) byVital.set(kind.vital, []);
      byVital.get(kind.vital)!.push(value);
    });
    for (const [vital, values] of byVital) {
      const measurement: Measurement = { type: vital, start, device, values, source: { source: 'payload', path: at } };
      if (patient) measurement.patient = patient;
      const attrib = ATTRIB_TEXT[group.attrib as number];
      if (attrib) measurement.note = attrib;
      if (group.attrib === 1) measurement.flags = ['questionable'];
      if (typeof group.comment === 'string') measurement.note = [measurement.note, group.comment].filter(Boolean).join('; ');
      measurements.push(measurement);
    }
  });
  return { measurements, issues };
}

export const withingsMapping: Mapping = {
  id: 'withings',
  title: 'Withings getmeas (body measures)',
  kind: 'builtin',
  identity: 'lookup',
  formats: ['json'],
  normalize,
  ruleFor: standardRuleFor,
};
