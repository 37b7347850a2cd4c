import { deviceReference, ingestIdentifier, subjectReference } from './identity.ts';
import type { MappingIssue } from './issue.ts';
import type { Coding, Measurement, MeasurementValue } from './measurement.ts';
import type { ObservationRule } from './observation-rule.ts';
import { buildValue, dataAbsentReason } from './observation-value.ts';

export type Observation = Record<string, unknown>;

/** PHD/PoCD measurement-status code system, used for device status flags (questionable, early-indication, …). */
export const MEASUREMENT_STATUS_SYSTEM = 'http://hl7.org/fhir/uv/pocd/CodeSystem/measurement-status';

function mergeCodings(first: readonly Coding[], second: readonly Coding[] | undefined): Coding[] {
  const out = first.map((coding) => ({ ...coding }));
  if (!second) return out;
  // Code lists are a handful of entries: a linear scan beats building a Set of joined keys per Observation.
  for (const coding of second) {
    if (!out.some((kept) => kept.system === coding.system && kept.code === coding.code)) out.push({ ...coding });
  }
  return out;
}

function findValue(measurement: Measurement, name: string): MeasurementValue | undefined {
  for (const value of measurement.values) if (value.name === name) return value;
  return undefined;
}

function effective(observation: Observation, start: string, end: string | undefined): void {
  // Point readings use effectiveDateTime: later FHIR versions drop Period from vital signs (FHIR-21297).
  if (end && end !== start) observation.effectivePeriod = { start, end };
  else observation.effectiveDateTime = start;
}

/** Elements every Observation from a measurement shares: identity, status, category, code, subject, time, device. */
export function observationHead(measurement: Measurement, rule: ObservationRule, identityType: string, start: string, end: string | undefined): Observation {
  const observation: Observation = { resourceType: 'Observation' };
  observation.identifier = [ingestIdentifier(measurement.device.identifier, identityType, start, end)];
  observation.status = measurement.status ?? 'final';
  if (rule.category.length > 0) observation.category = rule.category.map((concept) => ({ ...concept }));
  const code: Record<string, unknown> = { coding: mergeCodings(rule.code, measurement.codes) };
  if (rule.text) code.text = rule.text;
  observation.code = code;
  if (measurement.patient) observation.subject = subjectReference(measurement.patient);
  if (measurement.encounter) observation.encounter = { identifier: { value: measurement.encounter } };
  effective(observation, start, end);
  observation.device = deviceReference(measurement.device);
  if (measurement.flags && measurement.flags.length > 0) {
    observation.interpretation = [{ coding: measurement.flags.map((flag) => ({ system: MEASUREMENT_STATUS_SYSTEM, code: flag })) }];
  }
  if (measurement.bodySite) observation.bodySite = { ...measurement.bodySite };
  if (measurement.method) observation.method = { ...measurement.method };
  if (measurement.note) observation.note = [{ text: measurement.note }];
  return observation;
}

function attachValue(target: Observation, built: ReturnType<typeof buildValue>): void {
  if (built.element) target[built.element] = built.value;
  else if (built.absent) target.dataAbsentReason = built.absent;
}

/**
 * One Observation for one measurement under its rule (the no-grouping path). Issues (bad units,
 * non-numeric values, absurd values) carry the payload location of the offending value and the
 * FHIRPath of the element it would have filled.
 */
export function buildObservation(measurement: Measurement, rule: ObservationRule): { observation: Observation; issues: MappingIssue[] } {
  const issues: MappingIssue[] = [];
  const observation = observationHead(measurement, rule, measurement.type, measurement.start, measurement.end);
  const location = measurement.source;
  if (rule.value) {
    const measured = findValue(measurement, rule.value.from);
    if (measured) attachValue(observation, buildValue(measured, rule.value, { issues, location, expression: 'Observation.value' }));
    else if (!rule.components?.length) {
      issues.push({ severity: 'error', code: 'required', diagnostics: `Measurement '${measurement.type}' has no value '${rule.value.from}'`, location });
      observation.dataAbsentReason = dataAbsentReason('unknown');
    }
  }
  if (rule.components) {
    const components: Observation[] = [];
    rule.components.forEach((componentRule, index) => {
      const measured = findValue(measurement, componentRule.value.from);
      if (!measured) return;
      const code = componentCode(componentRule.code, componentRule.text, measured);
      if (!code.coding && !code.text) return;
      const component: Observation = { code };
      attachValue(component, buildValue(measured, componentRule.value, { issues, location, expression: `Observation.component[${index}].value` }));
      components.push(component);
    });
    if (components.length > 0) observation.component = components;
  }
  return { observation, issues };
}

export function componentCode(code: readonly Coding[], text: string | undefined, measured: MeasurementValue | undefined): Record<string, unknown> {
  const coding = mergeCodings(code, measured?.codes);
  const concept: Record<string, unknown> = {};
  if (coding.length > 0) concept.coding = coding;
  if (text) concept.text = text;
  return concept;
}
