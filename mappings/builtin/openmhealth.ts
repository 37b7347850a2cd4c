import { deviceFromId, patientHint } from '../identity.ts';
import { PayloadError, type MappingIssue } from '../issue.ts';
import type { Mapping, NormalizeResult } from '../mapping.ts';
import type { Measurement, MeasurementValue } from '../measurement.ts';
import { standardRuleFor } from '../observation-rule.ts';
import type { PayloadInput } from '../payload.ts';
import { parseIsoDateTime } from '../timestamps.ts';
import { omhUnit } from './openmhealth-units.ts';

type Json = Record<string, unknown>;

interface SchemaMapping {
  vital: string;
  /** Body property holding `{value, unit}` (or a bare number for step-count 1.0/2.0). */
  fields: { property: string; name: string }[];
}

/** Open mHealth / IEEE 1752 schema name → vital key and body properties (openmhealth/schemas schema/omh). */
const SCHEMAS: Record<string, SchemaMapping> = {
  'heart-rate': { vital: 'heart-rate', fields: [{ property: 'heart_rate', name: 'value' }] },
  'blood-pressure': {
    vital: 'blood-pressure',
    fields: [
      { property: 'systolic_blood_pressure', name: 'systolic' },
      { property: 'diastolic_blood_pressure', name: 'diastolic' },
    ],
  },
  'body-temperature': { vital: 'body-temperature', fields: [{ property: 'body_temperature', name: 'value' }] },
  'oxygen-saturation': { vital: 'oxygen-saturation', fields: [{ property: 'oxygen_saturation', name: 'value' }] },
  'blood-glucose': { vital: 'blood-glucose', fields: [{ property: 'blood_glucose', name: 'value' }] },
  'body-weight': { vital: 'body-weight', fields: [{ property: 'body_weight', name: 'value' }] },
  'body-height': { vital: 'body-height', fields: [{ property: 'body_height', name: 'value' }] },
  'body-mass-index': { vital: 'bmi', fields: [{ property: 'body_mass_index', name: 'value' }] },
  'respiratory-rate': { vital: 'respiratory-rate', fields: [{ property: 'respiratory_rate', name: 'value' }] },
  'step-count': { vital: 'step-count', fields: [{ property: 'step_count', name: 'value' }] },
};

const DESCRIPTIVE_STATISTICS = new Set(['average', 'count', 'maximum', 'median', 'minimum', 'standard deviation', 'sum', 'variance', '20th percentile', '80th percentile', 'lower quartile', 'upper quartile', 'quartile deviation', '1st quartile', '3rd quartile']);

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Schema name from the header, else from the body's properties (bare bodies, as in the OMH test data). */
function schemaOf(header: Json | undefined, body: Json): string | undefined {
  const schemaId = isObject(header?.schema_id) ? (header!.schema_id as Json) : undefined;
  if (typeof schemaId?.name === 'string') return schemaId.name;
  for (const [name, mapping] of Object.entries(SCHEMAS)) if (mapping.fields.some((field) => field.property in body)) return name;
  return undefined;
}

const DURATION_MS: Record<string, number> = { ps: 1e-9, ns: 1e-6, us: 1e-3, ms: 1, sec: 1000, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000, wk: 604_800_000 };

function timeFrame(frame: unknown, timeZone: string | undefined): { start: string; end?: string } {
  const at = '$.body.effective_time_frame';
  if (!isObject(frame)) throw new PayloadError('effective_time_frame is required: the reading has no timestamp', at, 'required');
  const parse = (text: unknown, path: string) => {
    const parsed = typeof text === 'string' ? parseIsoDateTime(text, timeZone) : undefined;
    if (!parsed) throw new PayloadError(`${JSON.stringify(text ?? null)} is not an ISO-8601 date-time`, path, 'value');
    return parsed.value;
  };
  if (frame.date_time !== undefined) return { start: parse(frame.date_time, `${at}.date_time`) };
  const interval = frame.time_interval;
  if (!isObject(interval)) throw new PayloadError('effective_time_frame needs date_time or time_interval', at, 'structure');
  const path = `${at}.time_interval`;
  if (typeof interval.date === 'string') {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(interval.date)) throw new PayloadError(`${JSON.stringify(interval.date)} is not a date`, `${path}.date`, 'value');
    return { start: interval.date };
  }
  const duration = isObject(interval.duration) ? interval.duration : undefined;
  const durationMs = duration && typeof duration.value === 'number' ? duration.value * (DURATION_MS[String(duration.unit)] ?? NaN) : undefined;
  if (interval.start_date_time !== undefined && interval.end_date_time !== undefined) {
    return { start: parse(interval.start_date_time, `${path}.start_date_time`), end: parse(interval.end_date_time, `${path}.end_date_time`) };
  }
  if (durationMs !== undefined && !Number.isNaN(durationMs)) {
    if (interval.start_date_time !== undefined) {
      const start = parse(interval.start_date_time, `${path}.start_date_time`);
      return { start, end: new Date(Date.parse(start) + durationMs).toISOString() };
    }
    if (interval.end_date_time !== undefined) {
      const end = parse(interval.end_date_time, `${path}.end_date_time`);
      return { start: new Date(Date.parse(end) - durationMs).toISOString(), end };
    }
  }
  throw new PayloadError('time_interval needs start and end, a duration with start or end, or a date', path, 'structure');
}

function readValue(body: Json, field: SchemaMapping['fields'][number], vital: string): MeasurementValue {
  const raw = body[field.property];
  const path = `$.body.${field.property}`;
  if (raw === undefined) throw new PayloadError(`${field.property} is required`, path, 'required');
  // step-count 1.0/2.0: a bare number of steps.
  if (typeof raw === 'number') return { name: field.name, value: raw, unit: '{steps}', path };
  if (!isObject(raw)) throw new PayloadError(`${field.property} must be {value, unit}`, path, 'structure');
  if (raw.value === undefined) throw new PayloadError(`${field.property}.value is required`, `${path}.value`, 'required');
  if (typeof raw.unit !== 'string') throw new PayloadError(`${field.property}.unit is required`, `${path}.unit`, 'required');
  return { name: field.name, value: raw.value as MeasurementValue['value'], unit: omhUnit(raw.unit, vital), path: `${path}.value` };
}

/**
 * Open mHealth / IEEE 1752 data points (`{header, body}`) or bare bodies. The schema comes from
 * header.schema_id.name or, for bare bodies, from the body's measure property. A reading without
 * effective_time_frame is refused: vital-signs Observations need effective[x]. The device is the
 * caller's (context) or the header's acquisition source; the patient is header.user_id or the
 * caller's.
 */
function normalize(payload: PayloadInput): NormalizeResult {
  const issues: MappingIssue[] = [];
  if (!isObject(payload.body)) throw new PayloadError('An Open mHealth data point must be a JSON object', '$', 'structure');
  const header = isObject(payload.body.header) ? payload.body.header : undefined;
  const body = header ? payload.body.body : payload.body;
  if (!isObject(body)) throw new PayloadError('The data point has no body object', '$.body', 'structure');
  const name = schemaOf(header, body);
  const schema = name ? SCHEMAS[name] : undefined;
  if (!schema) throw new PayloadError(`Unsupported Open mHealth schema '${name ?? 'unknown'}'; supported: ${Object.keys(SCHEMAS).join(', ')}`, header ? '$.header.schema_id.name' : '$', 'not-supported');
  const values = schema.fields.map((field) => readValue(body, field, schema.vital));
  const { start, end } = timeFrame(body.effective_time_frame, payload.context?.timeZone);

  const provenance = isObject(header?.acquisition_provenance) ? (header!.acquisition_provenance as Json) : undefined;
  const sourceName = typeof provenance?.source_name === 'string' ? provenance.source_name : undefined;
  const device = payload.context?.device ? { identifier: payload.context.device } : sourceName ? deviceFromId(sourceName) : undefined;
  if (!device) throw new PayloadError('No device identity: the data point has no acquisition_provenance.source_name and none was given', '$.header.acquisition_provenance', 'required');
  const patient = patientHint(typeof header?.user_id === 'string' ? header.user_id : payload.context?.patient);

  let type = schema.vital;
  if (type === 'blood-glucose' && body.specimen_source === 'interstitial fluid') type = 'cgm-glucose';
  const measurement: Measurement = { type, start, device, values, source: { source: 'payload', path: '$.body' } };
  if (end) measurement.end = end;
  if (patient) measurement.patient = patient;
  const notes: string[] = [];
  const statistic = body.descriptive_statistic;
  if (statistic !== undefined) {
    if (typeof statistic !== 'string' || !DESCRIPTIVE_STATISTICS.has(statistic)) throw new PayloadError(`Unknown descriptive_statistic ${JSON.stringify(statistic)}`, '$.body.descriptive_statistic', 'code-invalid');
    notes.push(`Descriptive statistic: ${statistic} over the effective period`);
    issues.push({ severity: 'information', code: 'informational', diagnostics: `Value is a ${statistic} over the period, not a single reading`, location: { source: 'payload', path: '$.body.descriptive_statistic' } });
  }
  for (const property of ['body_posture', 'temporal_relationship_to_physical_activity', 'temporal_relationship_to_meal', 'temporal_relationship_to_sleep', 'specimen_source', 'user_notes']) {
    if (typeof body[property] === 'string') notes.push(`${property.replace(/_/g, ' ')}: ${body[property]}`);
  }
  if (notes.length > 0) measurement.note = notes.join('; ');
  if (typeof body.measurement_location === 'string') measurement.bodySite = { text: body.measurement_location };
  return { measurements: [measurement], issues };
}

export const openMHealthMapping: Mapping = {
  id: 'openmhealth',
  title: 'Open mHealth / IEEE 1752 data points',
  kind: 'builtin',
  identity: 'lookup',
  formats: ['json'],
  normalize,
  ruleFor: standardRuleFor,
};
