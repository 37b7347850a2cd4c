import { PayloadError, type MappingIssue } from '../issue.ts';
import { patientHint } from '../identity.ts';
import type { Mapping, NormalizeResult } from '../mapping.ts';
import type { DeviceFacts, Measurement, MeasurementValue } from '../measurement.ts';
import { standardRuleFor } from '../observation-rule.ts';
import type { PayloadInput } from '../payload.ts';
import type { HealthRecord } from '../split/apple-health-xml.ts';
import { vendorDevice } from './vendor-device.ts';

const HK = 'HKQuantityTypeIdentifier';

/**
 * HealthKit quantity types → vital keys. Codes and units agree with StanfordBDHG/HealthKitOnFHIR
 * HKSampleMapping.json (test/mappings checks the overlap against the fixture copy).
 */
const QUANTITY_TYPES: Record<string, string> = {
  HeartRate: 'heart-rate',
  RestingHeartRate: 'resting-heart-rate',
  RespiratoryRate: 'respiratory-rate',
  OxygenSaturation: 'oxygen-saturation',
  BodyTemperature: 'body-temperature',
  BodyMass: 'body-weight',
  Height: 'body-height',
  BodyMassIndex: 'bmi',
  BloodGlucose: 'blood-glucose-capillary',
  StepCount: 'step-count',
  HeartRateVariabilitySDNN: 'hrv-sdnn',
};

/** Export dates: `2019-03-02 20:42:24 -0500` → FHIR dateTime. */
export function appleDate(text: string | undefined): string | undefined {
  const match = text ? /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) ([+-])(\d{2})(\d{2})$/.exec(text.trim()) : null;
  if (!match) return undefined;
  const offset = match[4] === '00' && match[5] === '00' ? 'Z' : `${match[3]}${match[4]}:${match[5]}`;
  return `${match[1]}T${match[2]}${offset}`;
}

/** `<<HKDevice: 0x…>, name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch6,1, …>` → facts. */
function deviceOf(record: HealthRecord, payload: PayloadInput): DeviceFacts {
  if (payload.context?.device) return { identifier: payload.context.device };
  const a = record.attributes;
  const source = a.sourceName ?? 'Apple Health';
  const device = vendorDevice('apple-health', source);
  const facts = Object.fromEntries([...(a.device ?? '').matchAll(/(\w+):([^,>]*)/g)].map((m) => [m[1]!, m[2]!.trim()]));
  if (facts.manufacturer) device.manufacturer = facts.manufacturer;
  if (facts.model) device.model = facts.hardware ? `${facts.model} (${facts.hardware})` : facts.model;
  device.name = source;
  return device;
}

function reading(record: HealthRecord, name: string, vital: string): MeasurementValue {
  const unit = record.attributes.unit;
  let value: MeasurementValue['value'] = record.attributes.value;
  // The export writes SpO2 as a fraction with unit "%": 0.97 means 97 %.
  if (vital === 'oxygen-saturation' && unit === '%' && Number(value) <= 1) value = String(Math.round(Number(value) * 10000) / 100);
  // BMI is exported with unit "count".
  const mapped = vital === 'bmi' ? 'kg/m2' : unit;
  return { name, value, ...(mapped ? { unit: mapped } : {}), path: `${record.element}@line ${record.line}` };
}

/**
 * Apple Health export records, as streamed out of export.xml by splitBody. Quantity records of
 * the vital types become readings; a blood-pressure Correlation becomes one panel from its two
 * records. Other types (dietary, workouts, categories) are skipped with an information issue.
 */
function normalize(payload: PayloadInput): NormalizeResult {
  const record = payload.body as HealthRecord;
  if (!record || (record.element !== 'Record' && record.element !== 'Correlation')) throw new PayloadError('An Apple Health payload is a Record or Correlation from export.xml', '$', 'structure');
  const issues: MappingIssue[] = [];
  const location = { source: 'payload' as const, line: record.line };
  const start = appleDate(record.attributes.startDate);
  const end = appleDate(record.attributes.endDate);
  if (!start) throw new PayloadError(`startDate ${JSON.stringify(record.attributes.startDate ?? null)} is not 'yyyy-MM-dd HH:mm:ss ±hhmm'`, `${record.element}@startDate`, 'value', record.line);
  const type = record.attributes.type ?? '';
  const base = { start, ...(end && end !== start ? { end } : {}), device: deviceOf(record, payload), source: location };
  const patient = patientHint(payload.context?.patient);
  if (record.element === 'Correlation') {
    if (type !== 'HKCorrelationTypeIdentifierBloodPressure') {
      issues.push({ severity: 'information', code: 'not-supported', diagnostics: `Correlation ${type} is not mapped`, location });
      return { measurements: [], issues };
    }
    const values: MeasurementValue[] = [];
    for (const inner of record.records ?? []) {
      if (inner.attributes.type === `${HK}BloodPressureSystolic`) values.push(reading(inner, 'systolic', 'blood-pressure'));
      if (inner.attributes.type === `${HK}BloodPressureDiastolic`) values.push(reading(inner, 'diastolic', 'blood-pressure'));
    }
    return { measurements: [{ type: 'blood-pressure', ...base, ...(patient ? { patient } : {}), values }], issues };
  }
  const vital = type.startsWith(HK) ? QUANTITY_TYPES[type.slice(HK.length)] : undefined;
  if (!vital) {
    issues.push({ severity: 'information', code: 'not-supported', diagnostics: `Record type ${type} is not mapped`, location });
    return { measurements: [], issues };
  }
  const measurement: Measurement = { type: vital, ...base, values: [reading(record, 'value', vital)] };
  if (patient) measurement.patient = patient;
  return { measurements: [measurement], issues };
}

export const appleHealthMapping: Mapping = {
  id: 'apple-health',
  title: 'Apple Health export.xml (HealthKit records)',
  kind: 'builtin',
  identity: 'lookup',
  formats: ['apple-health-record'],
  normalize,
  ruleFor: standardRuleFor,
};
