import { LOINC_SYSTEM, OBSERVATION_CATEGORY_SYSTEM, componentByLoinc, vitalByLoinc, type VitalSign } from '../terminology/loinc.ts';
import { isValidUcum } from '../terminology/ucum.ts';
import type { IssueLocation, MappingIssue } from './issue.ts';
import type { Observation } from './observation-builder.ts';
import { UCUM_SYSTEM } from './observation-value.ts';

type Json = Record<string, any>;

/** R4 `ucum-vitals-common` value set: the units vital-signs components may use (binding strength required). */
const VITALS_COMMON_UNITS = new Set(['%', 'cm', '[in_i]', 'kg', 'g', '[lb_av]', 'Cel', '[degF]', 'mm[Hg]', '/min', 'kg/m2', 'm2']);

function codings(concept: Json | undefined): Json[] {
  return Array.isArray(concept?.coding) ? concept!.coding : [];
}

function loincCodes(concept: Json | undefined): string[] {
  return codings(concept)
    .filter((coding) => coding.system === LOINC_SYSTEM && typeof coding.code === 'string')
    .map((coding) => coding.code as string);
}

function hasValue(element: Json): boolean {
  return Object.keys(element).some((key) => key.startsWith('value'));
}

/**
 * The issues found in one Observation. A class rather than a `report` closure per call: this
 * check runs for every reading, and each function built per call also paid for being named
 * (tsx keeps function names).
 */
class VitalIssues {
  readonly found: MappingIssue[] = [];

  constructor(private readonly at: IssueLocation) {}

  report(severity: MappingIssue['severity'], code: MappingIssue['code'], diagnostics: string, expression: string): void {
    this.found.push({ severity, code, diagnostics, location: { ...this.at, expression } });
  }
}

/**
 * Checks an Observation against the R4 vital-signs profile family the way the HL7 validator
 * applies it: keyed on the LOINC code (R4 says Observations with these codes SHALL conform), not
 * on what the mapping intended. Also checks UCUM validity of every Quantity and LOINC sanity of
 * blood-pressure components. Issues name the FHIRPath of the offending element.
 */
export function checkVitalSigns(observation: Observation, at: IssueLocation): MappingIssue[] {
  const issues = new VitalIssues(at);
  const obs = observation as Json;
  const codes = loincCodes(obs.code);
  let vital: VitalSign | undefined;
  for (const code of codes) {
    vital = vitalByLoinc(code);
    if (vital?.profile) break;
    vital = undefined;
  }

  checkQuantityUnits(obs, vital !== undefined, issues);
  if (!vital) return issues.found;
  const profile = vital.profile!.split('/').pop();

  const categories = Array.isArray(obs.category) ? (obs.category as Json[]) : [];
  if (!categories.some((concept) => codings(concept).some((coding) => coding.system === OBSERVATION_CATEGORY_SYSTEM && coding.code === 'vital-signs'))) {
    issues.report('error', 'required', `Profile ${profile}: category vital-signs (${OBSERVATION_CATEGORY_SYSTEM}) is required`, 'Observation.category');
  }
  if (!obs.subject) issues.report('information', 'incomplete', `Profile ${profile}: subject is required; the server must resolve it from the Device's patient`, 'Observation.subject');
  if (!obs.effectiveDateTime && !obs.effectivePeriod) issues.report('error', 'required', `Profile ${profile}: effective[x] is required`, 'Observation.effective');
  if (typeof obs.effectiveDateTime === 'string' && obs.effectiveDateTime.length < 8) {
    issues.report('error', 'value', `Profile ${profile} (vs-1): effectiveDateTime must be at least a full date`, 'Observation.effective');
  }

  if (vital.components) {
    checkComponents(obs, vital, issues);
    return issues.found;
  }
  if (obs.valueQuantity === undefined) {
    const other = Object.keys(obs).find((key) => key.startsWith('value'));
    if (other) issues.report('warning', 'business-rule', `Profile ${profile}: value must be a Quantity, found ${other}`, `Observation.${other}`);
    else if (!obs.dataAbsentReason && !obs.component && !obs.hasMember) issues.report('error', 'required', `Profile ${profile} (vs-2): a value or dataAbsentReason is required`, 'Observation.value');
    return issues.found;
  }
  const quantity = obs.valueQuantity as Json;
  if (quantity.system !== UCUM_SYSTEM) issues.report('error', 'value', `Profile ${profile}: valueQuantity.system must be ${UCUM_SYSTEM}`, 'Observation.value.ofType(Quantity).system');
  if (quantity.value === undefined) issues.report('error', 'required', `Profile ${profile}: valueQuantity.value is required`, 'Observation.value.ofType(Quantity).value');
  if (!vital.units.includes(quantity.code)) {
    issues.report('error', 'code-invalid', `Profile ${profile}: unit '${quantity.code}' is not allowed (expected ${vital.units.join(' | ')})`, 'Observation.value.ofType(Quantity).code');
  }
  return issues.found;
}

function checkComponents(obs: Json, vital: VitalSign, issues: VitalIssues): void {
  const profile = vital.profile!.split('/').pop();
  const components = Array.isArray(obs.component) ? (obs.component as Json[]) : [];
  const allowed = new Set((vital.components ?? []).map((component) => component.loinc).filter(Boolean));
  components.forEach((component, index) => {
    for (const code of loincCodes(component.code)) {
      if (allowed.has(code)) continue;
      const known = vitalByLoinc(code) ?? componentByLoinc(code)?.vital;
      const name = known ? ` (${known.display})` : '';
      issues.report('warning', 'code-invalid', `Profile ${profile}: component LOINC ${code}${name} is not a ${vital.display} component`, `Observation.component[${index}].code`);
    }
    if (!hasValue(component) && !component.dataAbsentReason) {
      issues.report('error', 'required', `Profile ${profile} (vs-3): component needs a value or dataAbsentReason`, `Observation.component[${index}]`);
    }
    const quantity = component.valueQuantity as Json | undefined;
    if (quantity && quantity.code !== vital.unit && allowed.size > 0 && loincCodes(component.code).some((code) => allowed.has(code))) {
      issues.report('error', 'code-invalid', `Profile ${profile}: component unit '${quantity.code}' must be ${vital.unit}`, `Observation.component[${index}].value.ofType(Quantity).code`);
    }
  });
  for (const required of vital.components ?? []) {
    if (!required.required || !required.loinc) continue;
    if (!components.some((component) => loincCodes(component.code).includes(required.loinc!))) {
      issues.report('error', 'required', `Profile ${profile}: component ${required.loinc} (${required.display}) is required`, 'Observation.component');
    }
  }
}

function checkQuantityUnit(quantity: Json | undefined, expression: string, vitalsBinding: boolean, issues: VitalIssues): void {
  if (!quantity || quantity.code === undefined) return;
  if (quantity.system === UCUM_SYSTEM && !isValidUcum(String(quantity.code))) {
    issues.report('error', 'code-invalid', `'${quantity.code}' is not a valid UCUM code`, `${expression}.code`);
  } else if (vitalsBinding && !VITALS_COMMON_UNITS.has(quantity.code)) {
    issues.report('warning', 'code-invalid', `Unit '${quantity.code}' is outside the required vital-signs unit value set ucum-vitals-common`, `${expression}.code`);
  }
}

function checkQuantityUnits(obs: Json, isVital: boolean, issues: VitalIssues): void {
  checkQuantityUnit(obs.valueQuantity, 'Observation.value.ofType(Quantity)', false, issues);
  if (Array.isArray(obs.component)) {
    (obs.component as Json[]).forEach((component, index) => checkQuantityUnit(component.valueQuantity, `Observation.component[${index}].value.ofType(Quantity)`, isVital, issues));
  }
  const sampled = obs.valueSampledData as Json | undefined;
  if (sampled?.origin?.system === UCUM_SYSTEM && sampled.origin.code !== undefined && !isValidUcum(String(sampled.origin.code))) {
    issues.report('error', 'code-invalid', `'${sampled.origin.code}' is not a valid UCUM code`, 'Observation.value.ofType(SampledData).origin.code');
  }
}
