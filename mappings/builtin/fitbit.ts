import { patientHint } from '../identity.ts';
import { PayloadError, type MappingIssue } from '../issue.ts';
import type { Mapping, NormalizeResult } from '../mapping.ts';
import type { DeviceFacts, Measurement } from '../measurement.ts';
import { standardRuleFor } from '../observation-rule.ts';
import type { PayloadInput } from '../payload.ts';
import { localToDateTime } from '../timestamps.ts';

type Json = Record<string, unknown>;

const INTERVAL_MS: Record<string, number> = { second: 1000, minute: 60_000 };

interface Series {
  summaryKey: string;
  intradayKey: string;
  vital: string;
  unit: string;
  /** Steps are counts over the interval (effectivePeriod); heart rate is a point reading. */
  interval: boolean;
}

const SERIES: Series[] = [
  { summaryKey: 'activities-heart', intradayKey: 'activities-heart-intraday', vital: 'heart-rate', unit: '/min', interval: false },
  { summaryKey: 'activities-steps', intradayKey: 'activities-steps-intraday', vital: 'step-count', unit: '{steps}', interval: true },
];

/**
 * Fitbit Web API intraday time series (`/1/user/-/activities/heart/date/{date}/1d/{1sec|1min}.json`,
 * and the same shape for steps). Intraday times are local wall-clock `HH:mm:ss` without a date or
 * offset: the date comes from the summary's `dateTime`, the offset from the caller's time zone
 * (the user's Fitbit profile zone); without one, UTC is assumed and a warning says so. The daily
 * resting heart rate of the current API (`value.restingHeartRate`) becomes a resting-heart-rate
 * reading for the day.
 */
function normalize(payload: PayloadInput): NormalizeResult {
  const issues: MappingIssue[] = [];
  const root = payload.body as Json;
  if (root === null || typeof root !== 'object' || Array.isArray(root)) throw new PayloadError('A Fitbit response must be a JSON object', '$', 'structure');
  const device: DeviceFacts | undefined = payload.context?.device ? { identifier: payload.context.device } : undefined;
  if (!device) throw new PayloadError('Fitbit responses carry no device id: give the device (context.device / --device)', '$', 'required');
  device.manufacturer = 'Fitbit';
  const patient = patientHint(payload.context?.patient);
  const timeZone = payload.context?.timeZone;
  if (!timeZone) issues.push({ severity: 'warning', code: 'incomplete', diagnostics: 'Fitbit intraday times are local without an offset and no time zone was given; read as UTC', location: { source: 'payload', path: '$' } });
  const measurements: Measurement[] = [];
  let found = false;
  for (const series of SERIES) {
    const summary = Array.isArray(root[series.summaryKey]) ? (root[series.summaryKey] as Json[]) : undefined;
    const intraday = root[series.intradayKey] as Json | undefined;
    if (!summary && !intraday) continue;
    found = true;
    const date = summary?.[0]?.dateTime;
    if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new PayloadError(`${series.summaryKey}[0].dateTime (yyyy-MM-dd) is required to date the intraday times`, `$['${series.summaryKey}'][0].dateTime`, 'required');
    const resting = (summary![0]!.value as Json | undefined)?.restingHeartRate;
    if (series.vital === 'heart-rate' && typeof resting === 'number') {
      measurements.push({ type: 'resting-heart-rate', start: date, device, ...(patient ? { patient } : {}), values: [{ name: 'value', value: resting, unit: '/min', path: `$['${series.summaryKey}'][0].value.restingHeartRate` }], source: { source: 'payload', path: `$['${series.summaryKey}'][0]` } });
    }
    const dataset = intraday?.dataset;
    if (!Array.isArray(dataset)) continue;
    const step = (typeof intraday!.datasetInterval === 'number' ? intraday!.datasetInterval : 1) * (INTERVAL_MS[String(intraday!.datasetType)] ?? 60_000);
    dataset.forEach((point: Json, i) => {
      const path = `$['${series.intradayKey}'].dataset[${i}]`;
      if (typeof point.time !== 'string' || !/^\d{2}:\d{2}(:\d{2})?$/.test(point.time)) throw new PayloadError(`time ${JSON.stringify(point.time ?? null)} is not HH:mm:ss`, `${path}.time`, 'value');
      const start = localToDateTime(date, point.time, timeZone ?? 'UTC');
      if (!start) throw new PayloadError(`Unknown time zone '${timeZone}'`, `${path}.time`, 'value');
      const measurement: Measurement = { type: series.vital, start, device, values: [{ name: 'value', value: point.value as number, unit: series.unit, path: `${path}.value` }], source: { source: 'payload', path } };
      if (series.interval) measurement.end = new Date(Date.parse(start) + step - 1000).toISOString().replace('.000Z', 'Z');
      if (patient) measurement.patient = patient;
      measurements.push(measurement);
    });
  }
  if (!found) throw new PayloadError("Not a Fitbit intraday response: no 'activities-heart' or 'activities-steps' series", '$', 'not-supported');
  return { measurements, issues };
}

export const fitbitMapping: Mapping = {
  id: 'fitbit',
  title: 'Fitbit Web API intraday heart rate (and steps)',
  kind: 'builtin',
  identity: 'lookup',
  formats: ['json'],
  normalize,
  ruleFor: standardRuleFor,
};
