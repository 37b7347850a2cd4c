import { PayloadError, type MappingIssue } from './issue.ts';
import type { IdentityMode, Mapping } from './mapping.ts';
import type { DeviceFacts, Measurement, PatientHint } from './measurement.ts';
import { buildObservation, type Observation } from './observation-builder.ts';
import { ObservationGrouper } from './observation-grouper.ts';
import type { PayloadInput } from './payload.ts';
import { checkVitalSigns } from './vital-signs-check.ts';

/** What the server needs to find or create the Device (and Patient) a payload's readings belong to. */
export interface DeviceIdentity {
  device: DeviceFacts;
  patient?: PatientHint;
  identity: IdentityMode;
}

export interface MappedPayload {
  /** Index of the payload, or -1 for the Observations of grouping windows closed at the end of the input. */
  index: number;
  measurements: Measurement[];
  observations: Observation[];
  issues: MappingIssue[];
  devices: DeviceIdentity[];
}

// FHIR dateTime: year, year-month, date, or date-time with seconds and offset.
const FHIR_DATE_TIME = /^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00)))?)?)?$/;

function locate(issues: MappingIssue[], index: number, line?: number): void {
  for (const issue of issues) {
    if (!issue.location) issue.location = { source: 'payload', payloadIndex: index };
    else if (issue.location.source !== 'template' && issue.location.payloadIndex === undefined) issue.location.payloadIndex = index;
    if (line !== undefined && issue.location.source === 'payload' && issue.location.line === undefined && !issue.location.path) issue.location.line = line;
  }
}

function identities(mapping: Mapping, measurements: Measurement[]): DeviceIdentity[] {
  const seen = new Map<string, DeviceIdentity>();
  for (const measurement of measurements) {
    const { system, value } = measurement.device.identifier;
    const patient = measurement.patient;
    const key = `${system}|${value}|${patient ? JSON.stringify(patient) : ''}`;
    if (!seen.has(key)) seen.set(key, { device: measurement.device, ...(patient ? { patient } : {}), identity: mapping.identity });
  }
  return [...seen.values()];
}

/** Maps one payload; measurements whose rule groups them go to `grouper` and come out at flush. */
export function mapPayload(mapping: Mapping, payload: PayloadInput, grouper = new ObservationGrouper()): MappedPayload {
  const issues: MappingIssue[] = [];
  const observations: Observation[] = [];
  let measurements: Measurement[] = [];
  try {
    const normalized = mapping.normalize(payload);
    measurements = normalized.measurements;
    issues.push(...normalized.issues);
  } catch (error) {
    if (!(error instanceof PayloadError)) throw error;
    issues.push({
      severity: 'error',
      code: error.code,
      diagnostics: error.message,
      location: { source: 'payload', payloadIndex: payload.index, ...(error.path ? { path: error.path } : {}), ...(error.line ? { line: error.line, column: error.column } : {}) },
    });
  }
  const kept: Measurement[] = [];
  for (const measurement of measurements) {
    if (!FHIR_DATE_TIME.test(measurement.start) || (measurement.end !== undefined && !FHIR_DATE_TIME.test(measurement.end))) {
      issues.push({ severity: 'error', code: 'value', diagnostics: `Timestamp '${measurement.start}' of '${measurement.type}' is not a valid dateTime with offset`, location: measurement.source });
      continue;
    }
    kept.push(measurement);
    const rule = mapping.ruleFor(measurement.type);
    if (!rule) {
      issues.push({ severity: 'warning', code: 'not-found', diagnostics: `No Observation rule for measurement type '${measurement.type}'; the reading is not stored. Type names are case-sensitive`, location: measurement.source });
      continue;
    }
    if (rule.grouping) {
      issues.push(...grouper.add(measurement, rule));
      continue;
    }
    const built = buildObservation(measurement, rule);
    issues.push(...built.issues);
    issues.push(...checkVitalSigns(built.observation, { source: 'observation', payloadIndex: payload.index }));
    observations.push(built.observation);
  }
  locate(issues, payload.index, payload.line);
  return { index: payload.index, measurements: kept, observations, issues, devices: identities(mapping, kept) };
}

function flushGroups(grouper: ObservationGrouper): MappedPayload | undefined {
  if (grouper.size === 0) return undefined;
  const { observations, issues } = grouper.flush();
  for (const observation of observations) issues.push(...checkVitalSigns(observation, { source: 'observation' }));
  return { index: -1, measurements: [], observations, issues, devices: [] };
}

/** Synchronous variant of mapPayloads for in-memory inputs (tests, CLI, $map). */
export function* mapPayloadsSync(mapping: Mapping, payloads: Iterable<PayloadInput>): Generator<MappedPayload> {
  const grouper = new ObservationGrouper();
  for (const payload of payloads) yield mapPayload(mapping, payload, grouper);
  const flushed = flushGroups(grouper);
  if (flushed) yield flushed;
}

/**
 * Maps payloads one at a time as they arrive (splitBody's output, an MQTT stream): each result
 * holds that payload's measurements, Observations and issues; nothing else is retained except
 * open grouping windows, which are flushed as a last result with index -1.
 */
export async function* mapPayloads(mapping: Mapping, payloads: AsyncIterable<PayloadInput> | Iterable<PayloadInput>): AsyncGenerator<MappedPayload> {
  const grouper = new ObservationGrouper();
  for await (const payload of payloads) yield mapPayload(mapping, payload, grouper);
  const flushed = flushGroups(grouper);
  if (flushed) yield flushed;
}
