import type { FhirDecimal } from '../server/fhir/json/index.ts';
import type { IssueLocation } from './issue.ts';

export interface Coding {
  system?: string;
  code?: string;
  display?: string;
}

export interface Identifier {
  system: string;
  value: string;
}

/** What the payload tells about the device, for the server to find or create the Device resource. */
export interface DeviceFacts {
  identifier: Identifier;
  /** Further identifiers known for the same device (e.g. EUI-64 beside the Bluetooth MAC). */
  otherIdentifiers?: Identifier[];
  type?: Coding[];
  manufacturer?: string;
  model?: string;
  serialNumber?: string;
  name?: string;
}

/** The patient as the payload names it: a literal reference (`Patient/123`) or a business identifier. */
export type PatientHint = { reference: string } | { identifier: Identifier };

/** FHIR data-absent-reason codes used for IEEE 11073 special values and missing readings. */
export type DataAbsentCode = 'not-a-number' | 'positive-infinity' | 'negative-infinity' | 'error' | 'unknown' | 'not-performed' | 'masked';

export type MeasurementScalar = number | FhirDecimal | string | boolean;

export interface MeasurementValue {
  /** Role of the value within its measurement: `value`, `systolic`, `diastolic`, `mean`, or a template's valueName. */
  name: string;
  value?: MeasurementScalar;
  /** Unit as the source gave it; the Observation builder converts it to UCUM. */
  unit?: string;
  /** Set instead of `value` when the device reported a special value (NaN, NRes, ±INF). */
  absent?: DataAbsentCode;
  /** Source codes for this part (MDC component codes), emitted beside LOINC. */
  codes?: Coding[];
  /** Where the value came from in the payload. */
  path?: string;
  /** For a sample array read whole from one payload (PCD-01 NA): its timing and scale; `value` is the data string. */
  sampled?: SampleArrayFacts;
}

/** SampledData facts a payload gives per reading, in the value's unit (FHIR R4 SampledData). */
export interface SampleArrayFacts {
  periodMs: number;
  /** Value of a data point 0 (SampledData.origin.value); 0 when absent. */
  origin?: number;
  factor?: number;
  lowerLimit?: number;
  upperLimit?: number;
}

/**
 * One normalized reading, the stage between a device payload and its Observation(s). It mirrors
 * MedTech's Measurement (type, time, device, patient, named values) with typed values and units.
 */
export interface Measurement {
  /** Vital-sign key (`heart-rate`, `blood-pressure`, …) for built-in mappings, the template's typeName otherwise. */
  type: string;
  /** Effective time as a FHIR dateTime with offset (or date when only a date is known). */
  start: string;
  /** End of the effective period when the reading covers an interval. */
  end?: string;
  device: DeviceFacts;
  patient?: PatientHint;
  encounter?: string;
  correlationId?: string;
  values: MeasurementValue[];
  /** Source codes for the whole reading (MDC observation code), emitted beside LOINC. */
  codes?: Coding[];
  status?: 'final' | 'preliminary' | 'amended' | 'entered-in-error';
  /** Measurement-status flags (PHD/PCD `measurement-status` codes such as `questionable`, `early-indication`). */
  flags?: string[];
  bodySite?: { text: string; coding?: Coding[] };
  method?: { text: string; coding?: Coding[] };
  note?: string;
  /** Device reported test/demo data: the Observation gets meta.security HTEST in the PHD IG; here a flag. */
  testData?: boolean;
  source: IssueLocation;
}
