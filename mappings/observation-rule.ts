import { LOINC_SYSTEM, categoryConcept, vitalByKey, vitalSigns, type VitalSign } from '../terminology/loinc.ts';
import type { IssueLocation } from './issue.ts';
import type { Coding } from './measurement.ts';

export interface CodeableConcept {
  coding?: Coding[];
  text?: string;
}

export type ValueKind = 'quantity' | 'string' | 'codeable-concept' | 'sampled-data' | 'boolean' | 'integer';

/** How one named measurement value becomes an Observation value (or component value). */
export interface ValueRule {
  /** Name of the measurement value to read. */
  from: string;
  kind: ValueKind;
  /** Target UCUM unit for quantities and sampled data; values in other commensurable units are converted. */
  unit?: string;
  /** Other UCUM units accepted as they are (the vital-signs value sets allow kg, g and [lb_av] for weight). */
  allowedUnits?: string[];
  unitDisplay?: string;
  /** Fixed concept for codeable-concept values (MedTech CodeableConcept: the measured value is ignored). */
  concept?: CodeableConcept;
  /** SampledData period in milliseconds. */
  periodMs?: number;
  /** Vital key and component for range checks (`blood-pressure` + `systolic`). */
  vital?: string;
  vitalComponent?: string;
  location?: IssueLocation;
}

export interface ComponentRule {
  code: Coding[];
  text?: string;
  value: ValueRule;
  location?: IssueLocation;
}

/** Grouping of measurements into one Observation: none (one per reading), a time window, or a correlation id. */
export interface GroupingRule {
  /** Window length in minutes (60 = hour, 1440 = day), or `correlation` to group by correlation id. */
  window: number | 'correlation';
}

/** How a measurement type becomes an Observation (our counterpart of MedTech's CodeValueFhir). */
export interface ObservationRule {
  type: string;
  code: Coding[];
  text?: string;
  category: CodeableConcept[];
  value?: ValueRule;
  components?: ComponentRule[];
  grouping?: GroupingRule;
  /** LOINC vital-sign key: the output is checked against that R4 profile and physiological ranges. */
  vital?: string;
  location?: IssueLocation;
}

function loincCodings(vital: VitalSign): Coding[] {
  return [{ system: LOINC_SYSTEM, code: vital.loinc, display: vital.display }, ...(vital.extraLoinc ?? []).map((extra) => ({ system: LOINC_SYSTEM, code: extra.code, display: extra.display }))];
}

const standardRules = new Map<string, ObservationRule>();

/**
 * The Observation shape for a vital-sign key, straight from the LOINC table: LOINC code, category,
 * UCUM unit from the profile's value set, blood pressure as a panel with components. Built-in
 * mappings add source codes (MDC) per measurement.
 */
export function standardRule(key: string): ObservationRule | undefined {
  let rule = standardRules.get(key);
  if (rule) return rule;
  const vital = vitalByKey(key);
  if (!vital) return undefined;
  rule = { type: key, code: loincCodings(vital), text: vital.display, category: [categoryConcept(vital.category)], vital: key };
  if (vital.components) {
    rule.components = vital.components.map((component) => ({
      code: component.loinc ? [{ system: LOINC_SYSTEM, code: component.loinc, display: component.display }] : [],
      text: component.display,
      value: { from: component.name, kind: 'quantity', unit: vital.unit, allowedUnits: vital.units, unitDisplay: vital.unitDisplay, vital: key, vitalComponent: component.name },
    }));
  } else if (vital.unit) {
    rule.value = { from: 'value', kind: 'quantity', unit: vital.unit, allowedUnits: vital.units, unitDisplay: vital.unitDisplay, vital: key };
  }
  standardRules.set(key, rule);
  return rule;
}

/** Rule lookup for built-in mappings: every vital-sign key of the LOINC table. */
export function standardRuleFor(type: string): ObservationRule | undefined {
  return standardRule(type);
}

export function standardTypes(): string[] {
  return vitalSigns().map((vital) => vital.key);
}
