import { FhirDecimal, numericValue } from '../server/fhir/json/index.ts';
import { checkRange } from '../terminology/physiological-ranges.ts';
import { convertUcum, isValidUcum, normalizeUnit } from '../terminology/ucum.ts';
import { DECIMAL_PATTERN, decimalFromText, decimalPlaces, roundTo } from './decimal-text.ts';
import type { IssueLocation, MappingIssue } from './issue.ts';
import type { DataAbsentCode, MeasurementValue, SampleArrayFacts } from './measurement.ts';
import type { ValueRule } from './observation-rule.ts';

export const UCUM_SYSTEM = 'http://unitsofmeasure.org';
export const DATA_ABSENT_REASON_SYSTEM = 'http://terminology.hl7.org/CodeSystem/data-absent-reason';

const ABSENT_DISPLAY: Record<DataAbsentCode, string> = {
  'not-a-number': 'Not a Number (NaN)',
  'positive-infinity': 'Positive Infinity (PINF)',
  'negative-infinity': 'Negative Infinity (NINF)',
  error: 'Error',
  unknown: 'Unknown',
  'not-performed': 'Not Performed',
  masked: 'Masked',
};

/** Glucose mass ↔ molar concentration: 18.0156 mg/dL per mmol/L (molar mass 180.156 g/mol; reference note §4.1). */
const GLUCOSE_MG_DL_PER_MMOL_L = 18.0156;
const GLUCOSE_VITALS = new Set(['blood-glucose', 'blood-glucose-capillary', 'cgm-glucose']);

export function dataAbsentReason(code: DataAbsentCode) {
  return { coding: [{ system: DATA_ABSENT_REASON_SYSTEM, code, display: ABSENT_DISPLAY[code] }] };
}

/** The FHIR `value[x]` element name and value, or a data-absent-reason, for one measurement value. */
export interface BuiltValue {
  element?: string;
  value?: unknown;
  absent?: ReturnType<typeof dataAbsentReason>;
}

interface ValueContext {
  issues: MappingIssue[];
  location: IssueLocation;
  /** FHIRPath of the element being built, for issue locations. */
  expression: string;
}

function problem(context: ValueContext, severity: MappingIssue['severity'], code: MappingIssue['code'], diagnostics: string, path?: string): void {
  context.issues.push({ severity, code, diagnostics, location: { ...context.location, ...(path ? { path } : {}), expression: context.expression } });
}

/** Numeric value of a measurement scalar: numbers as they are, numeric strings (MedTech values are strings) by strict decimal syntax. */
export function numericOf(value: unknown): number | FhirDecimal | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (value instanceof FhirDecimal) return value;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (DECIMAL_PATTERN.test(trimmed)) return decimalFromText(trimmed);
    // Invariant-culture exponent forms ("1.9811999999999999E+0") from MedTech's JmesPath math.
    if (/^-?\d+(\.\d+)?[eE][+-]?\d+$/.test(trimmed)) return Number(trimmed);
  }
  return undefined;
}

/**
 * Quantity from a measurement value: unit text normalized to UCUM, converted to the rule's unit
 * when the profile does not allow the source unit, precision kept (FhirDecimal) where no
 * conversion happened, range-checked against the vital sign.
 */
export function buildQuantity(measured: MeasurementValue, rule: ValueRule, context: ValueContext): BuiltValue {
  if (measured.absent) return { absent: dataAbsentReason(measured.absent) };
  const number = numericOf(measured.value);
  if (number === undefined) {
    problem(context, 'error', 'value', `Value ${JSON.stringify(measured.value ?? null)} of '${measured.name}' is not a number`, measured.path);
    return { absent: dataAbsentReason('error') };
  }
  let value: number | FhirDecimal = number;
  const sourceUnit = measured.unit ?? rule.unit;
  let unit = sourceUnit === undefined ? undefined : normalizeUnit(sourceUnit, rule.unit);
  if (sourceUnit !== undefined && unit === undefined) {
    problem(context, 'error', 'code-invalid', `Unit '${sourceUnit}' of '${measured.name}' is not UCUM and has no known UCUM equivalent`, measured.path);
    return { absent: dataAbsentReason('error') };
  }
  if (unit !== undefined && measured.unit !== undefined && measured.unit !== unit) {
    problem(context, 'information', 'informational', `Unit '${sourceUnit}' written as UCUM '${unit}'`, measured.path);
  }
  const allowed = rule.allowedUnits ?? (rule.unit ? [rule.unit] : undefined);
  if (unit && rule.unit && allowed && !allowed.includes(unit)) {
    const converted = convertValue(value, unit, rule.unit, rule.vital);
    if (converted === undefined) {
      problem(context, 'error', 'value', `Unit '${unit}' of '${measured.name}' cannot be converted to '${rule.unit}'`, measured.path);
      return { absent: dataAbsentReason('error') };
    }
    problem(context, 'information', 'informational', `Converted ${String(value)} ${unit} to ${String(converted)} ${rule.unit}`, measured.path);
    value = converted;
    unit = rule.unit;
  }
  if (rule.vital && unit) {
    const verdict = checkRange(rule.vital, rule.vitalComponent, numericValue(value)!, unit);
    const what = rule.vitalComponent ? `${rule.vital} ${rule.vitalComponent}` : rule.vital;
    if (verdict === 'impossible') problem(context, 'error', 'value', `${what} value ${String(value)} ${unit} is outside the humanly possible range`, measured.path);
    else if (verdict === 'implausible') problem(context, 'warning', 'value', `${what} value ${String(value)} ${unit} is outside the physiological range`, measured.path);
  }
  const quantity: Record<string, unknown> = { value };
  if (unit !== undefined) {
    quantity.unit = unit === rule.unit && rule.unitDisplay ? rule.unitDisplay : unit;
    quantity.system = UCUM_SYSTEM;
    quantity.code = unit;
    if (!isValidUcum(unit)) problem(context, 'error', 'code-invalid', `'${unit}' is not a valid UCUM code`, measured.path);
  }
  return { element: 'valueQuantity', value: quantity };
}

function convertValue(value: number | FhirDecimal, from: string, to: string, vital?: string): number | FhirDecimal | undefined {
  const number = numericValue(value)!;
  let converted = convertUcum(number, from, to);
  let factor = converted === undefined ? undefined : Math.abs((convertUcum(1, from, to) ?? 0) - (convertUcum(0, from, to) ?? 0));
  if (converted === undefined && vital && GLUCOSE_VITALS.has(vital)) {
    const inMmol = convertUcum(number, from, 'mmol/L');
    const targetPerMgDl = convertUcum(1, 'mg/dL', to);
    if (inMmol !== undefined && targetPerMgDl !== undefined) {
      converted = inMmol * GLUCOSE_MG_DL_PER_MMOL_L * targetPerMgDl;
      factor = GLUCOSE_MG_DL_PER_MMOL_L * targetPerMgDl * (convertUcum(1, from, 'mmol/L') ?? 1);
    }
  }
  if (converted === undefined || factor === undefined || factor === 0) return undefined;
  // Keep as many significant digits as the source had: 18.9 kPa → 141.8 mm[Hg], 1.93 m → 193 cm.
  const places = Math.max(0, decimalPlaces(value) - Math.floor(Math.log10(factor)));
  return roundTo(converted, places);
}

/** value[x] for one measurement value under a rule. */
export function buildValue(measured: MeasurementValue, rule: ValueRule, context: ValueContext): BuiltValue {
  if (measured.absent) return { absent: dataAbsentReason(measured.absent) };
  switch (rule.kind) {
    case 'quantity':
      return buildQuantity(measured, rule, context);
    case 'string':
      return { element: 'valueString', value: String(measured.value ?? '') };
    case 'boolean': {
      const text = String(measured.value).toLowerCase();
      if (text !== 'true' && text !== 'false') {
        problem(context, 'error', 'value', `Value ${JSON.stringify(measured.value)} of '${measured.name}' is not a boolean`, measured.path);
        return { absent: dataAbsentReason('error') };
      }
      return { element: 'valueBoolean', value: text === 'true' };
    }
    case 'integer': {
      const number = numericOf(measured.value);
      const plain = number === undefined ? undefined : numericValue(number);
      if (plain === undefined || !Number.isInteger(plain)) {
        problem(context, 'error', 'value', `Value ${JSON.stringify(measured.value)} of '${measured.name}' is not an integer`, measured.path);
        return { absent: dataAbsentReason('error') };
      }
      return { element: 'valueInteger', value: plain };
    }
    case 'codeable-concept':
      if (rule.concept) return { element: 'valueCodeableConcept', value: rule.concept };
      return { element: 'valueCodeableConcept', value: measured.codes?.length ? { coding: measured.codes.map((coding) => ({ ...coding })) } : { text: String(measured.value) } };
    case 'sampled-data':
      return measured.sampled ? buildSampleArray(measured, measured.sampled, context) : buildSampledWindow(measured, rule);
  }
}

/** SampledData of a grouping window: unit and period come from the rule. */
function buildSampledWindow(measured: MeasurementValue, rule: ValueRule): BuiltValue {
  const unit = rule.unit ? (normalizeUnit(rule.unit) ?? rule.unit) : undefined;
  return { element: 'valueSampledData', value: { origin: sampledOrigin(0, unit), period: rule.periodMs ?? 1000, dimensions: 1, data: String(measured.value ?? '') } };
}

function sampledOrigin(value: number, unit: string | undefined): Record<string, unknown> {
  return unit ? { value, unit, system: UCUM_SYSTEM, code: unit } : { value };
}

/** SampledData the payload sent whole (PCD-01 NA): unit, period and scale are the reading's own. */
function buildSampleArray(measured: MeasurementValue, facts: SampleArrayFacts, context: ValueContext): BuiltValue {
  const unit = measured.unit === undefined ? undefined : normalizeUnit(measured.unit);
  if (measured.unit !== undefined && unit === undefined) {
    problem(context, 'error', 'code-invalid', `Unit '${measured.unit}' of '${measured.name}' is not UCUM and has no known UCUM equivalent`, measured.path);
    return { absent: dataAbsentReason('error') };
  }
  const sampled: Record<string, unknown> = { origin: sampledOrigin(facts.origin ?? 0, unit), period: facts.periodMs };
  if (facts.factor !== undefined) sampled.factor = facts.factor;
  if (facts.lowerLimit !== undefined) sampled.lowerLimit = facts.lowerLimit;
  if (facts.upperLimit !== undefined) sampled.upperLimit = facts.upperLimit;
  sampled.dimensions = 1;
  sampled.data = String(measured.value ?? '');
  return { element: 'valueSampledData', value: sampled };
}
