import { LOINC_SYSTEM, categoryConcept, componentByLoinc, vitalByLoinc } from '../../terminology/loinc.ts';
import { isValidUcum, normalizeUnit } from '../../terminology/ucum.ts';
import type { MappingIssue } from '../issue.ts';
import type { JsonPathSegments, LocatedJson } from '../json-locations.ts';
import type { Coding } from '../measurement.ts';
import type { CodeableConcept, ComponentRule, ObservationRule, ValueRule } from '../observation-rule.ts';
import { UCUM_SYSTEM } from '../observation-value.ts';

/** The coding MedTech adds to every Observation and component code (FhirImportService.ServiceSystem). */
export const MEDTECH_SYSTEM = 'https://azure.microsoft.com/en-us/services/iomt-fhir-connector/';

type Json = Record<string, unknown>;
type Report = (path: JsonPathSegments, message: string, severity?: MappingIssue['severity'], code?: MappingIssue['code']) => void;

function codesOf(raw: unknown, path: JsonPathSegments, report: Report): Coding[] | undefined {
  if (!Array.isArray(raw) || raw.length === 0) {
    report(path, 'codes must be a non-empty array of {code, system, display}');
    return undefined;
  }
  const out: Coding[] = [];
  raw.forEach((entry: Json, index) => {
    if (entry === null || typeof entry !== 'object' || typeof entry.code !== 'string' || entry.code === '') {
      report([...path, index], 'Each code needs a code (and should name its system)');
      return;
    }
    const coding: Coding = { code: entry.code };
    if (typeof entry.system === 'string') coding.system = entry.system;
    if (typeof entry.display === 'string') coding.display = entry.display;
    out.push(coding);
  });
  return out.length === raw.length ? out : undefined;
}

/** A template unit as UCUM: valid codes as they are, known misspellings (count/min, mmHg) fixed with a warning. */
function ucumUnit(unit: unknown, path: JsonPathSegments, report: Report, expected?: string): string | undefined {
  if (typeof unit !== 'string' || unit.trim() === '') return undefined;
  if (isValidUcum(unit)) return unit;
  const fixed = normalizeUnit(unit, expected);
  if (fixed) report(path, `Unit '${unit}' is not valid UCUM; '${fixed}' is used`, 'warning', 'code-invalid');
  else report(path, `Unit '${unit}' is not valid UCUM and has no known UCUM equivalent; the quantity will carry no unit code`, 'warning', 'code-invalid');
  return fixed;
}

function valueRule(raw: unknown, path: JsonPathSegments, report: Report, vital: string | undefined, component: string | undefined): ValueRule | undefined {
  const value = raw as Json;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    report(path, 'value must be an object with valueName and valueType');
    return undefined;
  }
  if (typeof value.valueName !== 'string' || value.valueName === '') {
    report(path, 'valueName is required');
    return undefined;
  }
  const type = typeof value.valueType === 'string' ? value.valueType.toLowerCase() : '';
  const expected = vital ? (vitalByLoinc(vital)?.unit ?? undefined) : undefined;
  const base = { from: value.valueName, location: { source: 'template' as const, path: pathText(path) } };
  switch (type) {
    case 'quantity': {
      const code = typeof value.code === 'string' && (value.system === undefined || value.system === UCUM_SYSTEM) ? value.code : value.unit;
      const unit = ucumUnit(code, [...path, typeof value.code === 'string' ? 'code' : 'unit'], report, expected || undefined);
      const rule: ValueRule = { ...base, kind: 'quantity' };
      if (unit) Object.assign(rule, { unit, allowedUnits: [unit] });
      if (typeof value.unit === 'string' && value.unit !== '') rule.unitDisplay = value.unit;
      return withVital(rule, vital, component);
    }
    case 'sampleddata': {
      const period = typeof value.defaultPeriod === 'number' ? value.defaultPeriod : Number(value.defaultPeriod);
      if (!Number.isFinite(period) || period <= 0) {
        report([...path, 'defaultPeriod'], 'SampledData needs a positive defaultPeriod (milliseconds)');
        return undefined;
      }
      const rule: ValueRule = { ...base, kind: 'sampled-data', periodMs: period };
      const unit = ucumUnit(value.unit, [...path, 'unit'], report, expected || undefined);
      if (unit) rule.unit = unit;
      return withVital(rule, vital, component);
    }
    case 'string':
      return { ...base, kind: 'string' };
    case 'codeableconcept': {
      const codes = codesOf(value.codes, [...path, 'codes'], report);
      if (!codes) return undefined;
      return { ...base, kind: 'codeable-concept', concept: { coding: codes, ...(typeof value.text === 'string' ? { text: value.text } : {}) } };
    }
    default:
      report([...path, 'valueType'], `Unknown valueType ${JSON.stringify(value.valueType ?? null)}; expected Quantity, SampledData, String or CodeableConcept`);
      return undefined;
  }
}

function withVital(rule: ValueRule, vital: string | undefined, component: string | undefined): ValueRule {
  if (!vital) return rule;
  const entry = vitalByLoinc(vital);
  if (entry) rule.vital = entry.key;
  if (component) rule.vitalComponent = component;
  return rule;
}

function pathText(path: JsonPathSegments): string {
  return `fhir${path.map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${segment}`)).join('')}`;
}

/**
 * Reads a MedTech FHIR-destination mapping (CollectionFhir of CodeValueFhir) into Observation
 * rules, keeping MedTech's shape (template codes plus the iomt-fhir typeName coding, code.text =
 * typeName, periodInterval windows, SampledData) while making the output conform: invalid UCUM
 * units are replaced by their UCUM spelling (warning), the vital-signs category is added to
 * LOINC vital signs that lack it (information), a blood-pressure component coded with another
 * vital's LOINC (Microsoft's samples code diastolic as 8867-4) is reported.
 */
export function parseFhirTemplates(located: LocatedJson, issues: MappingIssue[]): Map<string, ObservationRule> {
  const rules = new Map<string, ObservationRule>();
  const report: Report = (path, diagnostics, severity = 'error', code = 'invalid') => {
    const at = located.locate(path);
    issues.push({ severity, code, diagnostics, location: { source: 'template', path: pathText(path), ...(at ?? {}) } });
  };
  const root = located.value as Json;
  if (root === null || typeof root !== 'object' || Array.isArray(root)) {
    report([], 'The FHIR mapping must be a JSON object with templateType CollectionFhir');
    return rules;
  }
  const rootType = typeof root.templateType === 'string' ? root.templateType.toLowerCase() : '';
  let entries: { value: unknown; path: JsonPathSegments }[];
  if (rootType === 'collectionfhir') {
    if (!Array.isArray(root.template)) {
      report(['template'], 'Expected an array for the template property value for template type CollectionFhir');
      return rules;
    }
    entries = root.template.map((value, index) => ({ value, path: ['template', index] }));
  } else if (rootType === 'codevaluefhir') entries = [{ value: root, path: [] }];
  else {
    report(['templateType'], `Unknown or missing templateType ${JSON.stringify(root.templateType ?? null)} for a FHIR mapping; expected CollectionFhir`);
    return rules;
  }
  for (const entry of entries) {
    const wrapper = entry.value as Json;
    const type = typeof wrapper?.templateType === 'string' ? wrapper.templateType.toLowerCase() : '';
    if (type !== 'codevaluefhir') {
      report([...entry.path, 'templateType'], `Unknown templateType ${JSON.stringify(wrapper?.templateType ?? null)}; expected CodeValueFhir`);
      continue;
    }
    const rule = parseCodeValue(wrapper.template, [...entry.path, 'template'], report);
    if (!rule) continue;
    if (rules.has(rule.type)) {
      report([...entry.path, 'template', 'typeName'], `Duplicate template defined for type name: '${rule.type}'`);
      continue;
    }
    rules.set(rule.type, rule);
  }
  return rules;
}

function parseCodeValue(raw: unknown, path: JsonPathSegments, report: Report): ObservationRule | undefined {
  const template = raw as Json;
  if (template === null || typeof template !== 'object' || Array.isArray(template)) {
    report(path, 'Expected an object for the template property value for template type CodeValueFhir');
    return undefined;
  }
  let ok = true;
  if (typeof template.typeName !== 'string' || template.typeName.trim() === '') {
    report(template.typeName === undefined ? path : [...path, 'typeName'], 'typeName is required in CodeValueFhir');
    ok = false;
  }
  const codes = codesOf(template.codes, [...path, 'codes'], report);
  if (!codes) ok = false;
  const typeName = String(template.typeName);
  const loinc = codes?.find((coding) => coding.system === LOINC_SYSTEM)?.code;
  const vital = loinc ? vitalByLoinc(loinc) : undefined;
  const value = template.value === undefined ? undefined : valueRule(template.value, [...path, 'value'], report, vital && !vital.components ? loinc : undefined, undefined);
  if (template.value !== undefined && !value) ok = false;
  const components: ComponentRule[] = [];
  if (template.components !== undefined && !Array.isArray(template.components)) {
    report([...path, 'components'], 'components must be an array');
    ok = false;
  }
  (Array.isArray(template.components) ? template.components : []).forEach((entry: Json, index: number) => {
    const at = [...path, 'components', index];
    const componentCodes = codesOf(entry?.codes, [...at, 'codes'], report);
    const componentLoinc = componentCodes?.find((coding) => coding.system === LOINC_SYSTEM)?.code;
    const known = componentLoinc ? componentByLoinc(componentLoinc) : undefined;
    if (vital?.components && componentLoinc && known?.vital.key !== vital.key) {
      const other = vitalByLoinc(componentLoinc);
      report([...at, 'codes'], `Component coded LOINC ${componentLoinc}${other ? ` (${other.display})` : ''} inside ${vital.display}; expected one of ${vital.components.filter((c) => c.loinc).map((c) => c.loinc).join(', ')}`, 'warning', 'code-invalid');
    }
    const componentValue = valueRule(entry?.value, [...at, 'value'], report, vital?.components ? (vital.loinc) : undefined, known?.vital.key === vital?.key ? known?.component.name : undefined);
    if (!componentCodes || !componentValue) {
      ok = false;
      return;
    }
    components.push({ code: [...componentCodes, { system: MEDTECH_SYSTEM, code: componentValue.from, display: componentValue.from }], text: componentValue.from, value: componentValue, location: { source: 'template', path: pathText(at) } });
  });
  if (!value && components.length === 0 && ok) report(path, `CodeValueFhir '${typeName}' has neither value nor components`, 'warning', 'incomplete');
  if (!ok || !codes) return undefined;

  const category: CodeableConcept[] = [];
  (Array.isArray(template.category) ? template.category : []).forEach((entry: Json, index: number) => {
    const concept: CodeableConcept = {};
    const categoryCodes = entry?.codes === undefined ? [] : codesOf(entry.codes, [...path, 'category', index, 'codes'], report);
    if (categoryCodes && categoryCodes.length > 0) concept.coding = categoryCodes;
    if (typeof entry?.text === 'string') concept.text = entry.text;
    if (concept.coding || concept.text) category.push(concept);
  });
  if (vital?.profile && !category.some((concept) => concept.coding?.some((coding) => coding.code === 'vital-signs'))) {
    category.push(categoryConcept('vital-signs'));
    report([...path, 'codes'], `LOINC ${vital.loinc} (${vital.display}) is a vital sign; category vital-signs added (R4 vital-signs profile)`, 'information', 'informational');
  }
  const period = Number(template.periodInterval ?? 0);
  const rule: ObservationRule = {
    type: typeName,
    code: [...codes, { system: MEDTECH_SYSTEM, code: typeName, display: typeName }],
    text: typeName,
    category,
    location: { source: 'template', path: pathText(path) },
  };
  if (vital) rule.vital = vital.key;
  if (value) rule.value = value;
  if (components.length > 0) rule.components = components;
  if (period === -1) rule.grouping = { window: 'correlation' };
  else if (period > 0) rule.grouping = { window: period };
  else if (value?.kind === 'sampled-data' || components.some((component) => component.value.kind === 'sampled-data')) rule.grouping = { window: 1 / 60_000 };
  return rule;
}
