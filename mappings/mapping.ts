import type { MappingIssue } from './issue.ts';
import type { Measurement } from './measurement.ts';
import type { ObservationRule } from './observation-rule.ts';
import type { PayloadFormat, PayloadInput } from './payload.ts';

/** Whether unknown devices are refused (422) or created as shell Device + Patient by the server. */
export type IdentityMode = 'lookup' | 'create';

/** A mapping parsed or imported from text, or the issues (with template line and column) that prevented it. */
export interface MappingResult {
  mapping?: Mapping;
  issues: MappingIssue[];
}

export interface NormalizeResult {
  measurements: Measurement[];
  issues: MappingIssue[];
}

/**
 * A mapping from device payloads to Observations, in two stages like MedTech's device + FHIR
 * templates: `normalize` reads one payload into measurements, `ruleFor` says how a measurement
 * type becomes an Observation. Built-in mappings, our declarative JSON mappings and imported
 * MedTech templates all compile to this shape, so one engine runs them all.
 */
export interface Mapping {
  id: string;
  title: string;
  kind: 'builtin' | 'declarative' | 'medtech';
  identity: IdentityMode;
  formats: readonly PayloadFormat[];
  normalize(payload: PayloadInput): NormalizeResult;
  ruleFor(type: string): ObservationRule | undefined;
  /** Non-fatal findings about the mapping itself (unknown units, LOINC/MDC mismatches), with template locations. */
  templateIssues?: readonly MappingIssue[];
}
