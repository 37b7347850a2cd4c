import { PayloadError, type MappingIssue } from '../../mappings/issue.ts';
import { mapPayloadsSync, type DeviceIdentity } from '../../mappings/map-payloads.ts';
import type { Mapping } from '../../mappings/mapping.ts';
import type { Measurement } from '../../mappings/measurement.ts';
import type { Observation } from '../../mappings/observation-builder.ts';
import type { PayloadInput } from '../../mappings/payload.ts';

export interface MappedObservation {
  resource: Observation;
  /** Payload it came from; -1 for SampledData windows (built from several payloads). */
  payloadIndex: number;
  /** Carries SampledData: a stored Observation for the same window is merged, not kept as is. */
  sampled: boolean;
}

export interface MappedRequest {
  observations: MappedObservation[];
  devices: DeviceIdentity[];
  issues: MappingIssue[];
  measurements: Measurement[];
  payloads: number;
}

/** Past this many errors a request is hopeless: stop mapping and report what was found. */
const ERROR_LIMIT = 200;

function hasSampledData(observation: Observation): boolean {
  if (observation.valueSampledData !== undefined) return true;
  const components = observation.component as Array<Record<string, unknown>> | undefined;
  return components?.some((component) => component.valueSampledData !== undefined) ?? false;
}

/**
 * Runs a mapping over a request's payloads one at a time (each payload's parsed form is dropped
 * once mapped). Splitting errors (malformed JSON/HL7/XML) end the run as an issue with the
 * body's line and column.
 */
export function mapRequest(mapping: Mapping, payloads: Iterable<PayloadInput>, options: { keepMeasurements?: boolean } = {}): MappedRequest {
  const result: MappedRequest = { observations: [], devices: [], issues: [], measurements: [], payloads: 0 };
  const seenDevices = new Set<string>();
  let errors = 0;
  try {
    for (const mapped of mapPayloadsSync(mapping, countPayloads(payloads, result))) {
      for (const observation of mapped.observations) {
        result.observations.push({ resource: observation, payloadIndex: mapped.index, sampled: mapped.index === -1 && hasSampledData(observation) });
      }
      for (const device of mapped.devices) {
        const key = deviceIdentityKey(device);
        if (!seenDevices.has(key)) {
          seenDevices.add(key);
          result.devices.push(device);
        }
      }
      for (const issue of mapped.issues) {
        result.issues.push(issue);
        if (issue.severity === 'error' || issue.severity === 'fatal') errors++;
      }
      if (options.keepMeasurements) result.measurements.push(...mapped.measurements);
      if (errors >= ERROR_LIMIT) break;
    }
  } catch (error) {
    if (!(error instanceof PayloadError)) throw error;
    result.issues.push({
      severity: 'error',
      code: error.code,
      diagnostics: error.message,
      location: { source: 'payload', ...(error.path ? { path: error.path } : {}), ...(error.line !== undefined ? { line: error.line, column: error.column } : {}) },
    });
  }
  return result;
}

function* countPayloads(payloads: Iterable<PayloadInput>, result: MappedRequest): Generator<PayloadInput> {
  for (const payload of payloads) {
    result.payloads++;
    yield payload;
  }
}

export function deviceIdentityKey(identity: DeviceIdentity): string {
  const { system, value } = identity.device.identifier;
  const patient = identity.patient;
  return `${system}|${value}\n${patient ? ('reference' in patient ? `ref:${patient.reference}` : `id:${patient.identifier.system}|${patient.identifier.value}`) : ''}`;
}
