import { PayloadError, type MappingIssue } from '../../mappings/issue.ts';
import { mapPayloads, mapPayloadsSync, type DeviceIdentity, type MappedPayload } from '../../mappings/map-payloads.ts';
import type { Mapping } from '../../mappings/mapping.ts';
import type { Measurement } from '../../mappings/measurement.ts';
import type { Observation } from '../../mappings/observation-builder.ts';
import type { PayloadInput } from '../../mappings/payload.ts';
import { isUnreadable } from './issue-outcome.ts';

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

export interface MapRequestOptions {
  keepMeasurements?: boolean;
  /**
   * Stop after the first payload that cannot be read (malformed, unsupported: a 400). Later
   * payloads could only add issues, never change the answer, so a streamed request is answered
   * without waiting for the rest of its body.
   */
  stopAtUnreadable?: boolean;
  /**
   * Keep 'information' issues (default). $ingest never reports them, and a large request would
   * otherwise hold one per reading (the subject to resolve from the Device) until it commits.
   */
  informationIssues?: boolean;
}

/** One request's mapping results as they come in, payload by payload. */
class RequestMapping {
  readonly result: MappedRequest = { observations: [], devices: [], issues: [], measurements: [], payloads: 0 };
  private readonly seenDevices = new Set<string>();
  private errors = 0;

  constructor(private readonly options: MapRequestOptions) {}

  /** Takes one payload's result; false when mapping should stop here. */
  add(mapped: MappedPayload): boolean {
    const result = this.result;
    if (mapped.index >= 0) result.payloads++;
    for (const observation of mapped.observations) {
      result.observations.push({ resource: observation, payloadIndex: mapped.index, sampled: mapped.index === -1 && hasSampledData(observation) });
    }
    for (const device of mapped.devices) {
      const key = deviceIdentityKey(device);
      if (!this.seenDevices.has(key)) {
        this.seenDevices.add(key);
        result.devices.push(device);
      }
    }
    let unreadable = false;
    for (const issue of mapped.issues) {
      if (issue.severity === 'information' && this.options.informationIssues === false) continue;
      result.issues.push(issue);
      if (issue.severity === 'error' || issue.severity === 'fatal') this.errors++;
      if (isUnreadable(issue)) unreadable = true;
    }
    if (this.options.keepMeasurements) result.measurements.push(...mapped.measurements);
    return this.errors < ERROR_LIMIT && !(unreadable && this.options.stopAtUnreadable);
  }

  /** A splitting error (malformed JSON/HL7/XML) ends the run as an issue with the body's line and column. */
  fail(error: unknown): void {
    if (!(error instanceof PayloadError)) throw error;
    this.result.issues.push(splitIssue(error));
  }
}

/** A splitting error as an issue: located in the body (line, column), not in one payload. */
export function splitIssue(error: PayloadError): MappingIssue {
  return {
    severity: 'error',
    code: error.code,
    diagnostics: error.message,
    location: { source: 'payload', ...(error.path ? { path: error.path } : {}), ...(error.line !== undefined ? { line: error.line, column: error.column } : {}) },
  };
}

/** Runs a mapping over a request's payloads one at a time (each payload's parsed form is dropped once mapped). */
export function mapRequest(mapping: Mapping, payloads: Iterable<PayloadInput>, options: MapRequestOptions = {}): MappedRequest {
  const run = new RequestMapping(options);
  try {
    for (const mapped of mapPayloadsSync(mapping, payloads)) if (!run.add(mapped)) break;
  } catch (error) {
    run.fail(error);
  }
  return run.result;
}

/** mapRequest for payloads split off a body as it arrives: mapping keeps pace with the upload. */
export async function mapRequestStream(mapping: Mapping, payloads: AsyncIterable<PayloadInput>, options: MapRequestOptions = {}): Promise<MappedRequest> {
  const run = new RequestMapping(options);
  try {
    for await (const mapped of mapPayloads(mapping, payloads)) if (!run.add(mapped)) break;
  } catch (error) {
    run.fail(error);
  }
  return run.result;
}

export function deviceIdentityKey(identity: DeviceIdentity): string {
  const { system, value } = identity.device.identifier;
  const patient = identity.patient;
  return `${system}|${value}\n${patient ? ('reference' in patient ? `ref:${patient.reference}` : `id:${patient.identifier.system}|${patient.identifier.value}`) : ''}`;
}
