import { JsonSyntaxError, numericValue } from '../../server/fhir/json/index.ts';
import { OBSERVATION_CATEGORY_SYSTEM, categoryConcept } from '../../terminology/loinc.ts';
import { deviceFromId, patientHint } from '../identity.ts';
import { PayloadError, hasErrors, type MappingIssue } from '../issue.ts';
import { jsonPathText, parseLocatedJson, type JsonPathSegments, type LocatedJson } from '../json-locations.ts';
import type { Mapping, MappingResult, NormalizeResult } from '../mapping.ts';
import type { DeviceFacts, Measurement, MeasurementValue } from '../measurement.ts';
import { compileJsonPath, type CompiledJsonPath } from '../medtech/newtonsoft-jsonpath.ts';
import { standardRule, type ObservationRule } from '../observation-rule.ts';
import type { PayloadInput } from '../payload.ts';
import { getBuiltInMapping } from '../registry.ts';
import { fromUnixMillis, parseIsoDateTime } from '../timestamps.ts';
import { mappingDefinitionSchema, type MappingDefinition } from './definition-schema.ts';

type Json = Record<string, unknown>;

function templateIssue(located: LocatedJson, path: JsonPathSegments, diagnostics: string, code: MappingIssue['code'] = 'invalid'): MappingIssue {
  const at = located.locate(path);
  return { severity: 'error', code, diagnostics, location: { source: 'template', path: jsonPathText(path), ...(at ?? {}) } };
}

/**
 * Parses a mapping definition sent as text: JSON syntax errors, schema violations (zod) and
 * unparsable JSONPath expressions come back as issues with line and column in that text; a
 * mapping is returned only when there is no error.
 */
export function parseMappingDefinition(text: string): MappingResult {
  let located: LocatedJson;
  try {
    located = parseLocatedJson(text);
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    return { issues: [{ severity: 'error', code: 'structure', diagnostics: error.reason, location: { source: 'template', line: error.line, column: error.column } }] };
  }
  const parsed = mappingDefinitionSchema.safeParse(located.value);
  if (!parsed.success) {
    return { issues: parsed.error.issues.map((issue) => templateIssue(located, issue.path as JsonPathSegments, issue.message, issue.code === 'invalid_type' && issue.message.includes('undefined') ? 'required' : 'invalid')) };
  }
  return compileDefinition(parsed.data, located);
}

interface CompiledPath {
  path: CompiledJsonPath;
  at: JsonPathSegments;
}

function compilePaths(definition: MappingDefinition, located: LocatedJson, issues: MappingIssue[]): Map<string, CompiledPath> {
  const paths = new Map<string, CompiledPath>();
  const visit = (value: unknown, at: JsonPathSegments) => {
    if (Array.isArray(value)) value.forEach((item, index) => visit(item, [...at, index]));
    else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value as Json)) {
        if ((key === 'path' || key === 'match' || key === 'unitPath') && typeof child === 'string') {
          try {
            paths.set(jsonPathText([...at, key]), { path: compileJsonPath(child), at: [...at, key] });
          } catch (error) {
            issues.push(templateIssue(located, [...at, key], (error as Error).message));
          }
        } else visit(child, [...at, key]);
      }
    }
  };
  visit(definition, []);
  return paths;
}

function compileDefinition(definition: MappingDefinition, located: LocatedJson): MappingResult {
  const issues: MappingIssue[] = [];
  const paths = compilePaths(definition, located, issues);
  const base = definition.extends ? getBuiltInMapping(definition.extends) : undefined;
  if (definition.extends && !base) issues.push(templateIssue(located, ['extends'], `Unknown built-in mapping '${definition.extends}'`, 'not-found'));
  const rules = new Map<string, ObservationRule>();
  for (const [index, entry] of (definition.observations ?? []).entries()) {
    const rule: ObservationRule = {
      type: entry.type,
      code: entry.code,
      ...(entry.text ? { text: entry.text } : {}),
      category: entry.category.map((category) => (['vital-signs', 'laboratory', 'activity'].includes(category) ? categoryConcept(category as 'vital-signs') : { coding: [{ system: OBSERVATION_CATEGORY_SYSTEM, code: category }] })),
      location: { source: 'template', path: jsonPathText(['observations', index]) },
    };
    if (entry.value) rule.value = { ...entry.value, ...(entry.value.unit ? { allowedUnits: [entry.value.unit] } : {}) };
    if (entry.components) rule.components = entry.components.map((component) => ({ ...component, value: { ...component.value, ...(component.value.unit ? { allowedUnits: [component.value.unit] } : {}) } }));
    rules.set(entry.type, rule);
  }
  const ruleFor = (type: string): ObservationRule | undefined => {
    const own = rules.get(type) ?? base?.ruleFor(type) ?? standardRule(type);
    const grouping = definition.sampledData?.find((entry) => entry.type === type);
    if (!own || !grouping) return own;
    const value = own.value ? { ...own.value, kind: 'sampled-data' as const, periodMs: grouping.periodMs, ...(grouping.unit ? { unit: grouping.unit } : {}) } : undefined;
    return { ...own, ...(value ? { value } : {}), grouping: { window: grouping.windowMinutes } };
  };
  for (const [index, entry] of (definition.measurements ?? []).entries()) {
    if (!ruleFor(entry.type)) issues.push({ ...templateIssue(located, ['measurements', index, 'type'], `Type '${entry.type}' is neither a vital-sign key nor defined under observations`, 'not-found'), severity: 'warning' });
  }
  if (hasErrors(issues)) return { issues };

  const normalize = base
    ? (payload: PayloadInput) => base.normalize(payload)
    : (payload: PayloadInput) => normalizeWithDefinition(definition, paths, payload);
  const mapping: Mapping = {
    id: definition.id,
    title: definition.title ?? definition.id,
    kind: 'declarative',
    identity: definition.identity,
    formats: base?.formats ?? ['json'],
    normalize,
    ruleFor,
    templateIssues: issues.slice(),
  };
  return { mapping, issues };
}

function select(paths: Map<string, CompiledPath>, key: JsonPathSegments, data: unknown): unknown {
  const compiled = paths.get(jsonPathText(key));
  if (!compiled) return undefined;
  try {
    return compiled.path.selectToken(data);
  } catch (error) {
    throw new PayloadError(`${compiled.path.expression}: ${(error as Error).message}`, compiled.path.expression, 'value');
  }
}

function timeOf(spec: MappingDefinition['timestamp'], raw: unknown, context: PayloadInput['context'], where: string): string {
  if (raw === undefined || raw === null) throw new PayloadError(`No timestamp at ${spec?.path ?? 'the timestamp path'}`, where, 'required');
  const zone = spec?.timeZone ?? context?.timeZone;
  if (spec?.format === 'unix-s' || spec?.format === 'unix-ms') {
    const number = typeof raw === 'string' ? Number(raw) : numericValue(raw);
    if (number === undefined || !Number.isFinite(number)) throw new PayloadError(`Timestamp ${JSON.stringify(raw)} is not a number`, where, 'value');
    return fromUnixMillis(spec.format === 'unix-s' ? number * 1000 : number, zone);
  }
  const parsed = typeof raw === 'string' ? parseIsoDateTime(raw, zone) : undefined;
  if (!parsed) throw new PayloadError(`Timestamp ${JSON.stringify(raw)} is not an ISO-8601 date-time`, where, 'value');
  return parsed.value;
}

function normalizeWithDefinition(definition: MappingDefinition, paths: Map<string, CompiledPath>, payload: PayloadInput): NormalizeResult {
  const issues: MappingIssue[] = [];
  const root = payload.body;
  const measurements: Measurement[] = [];
  const deviceOf = (spec: MappingDefinition['device'], key: JsonPathSegments, data: unknown): DeviceFacts | undefined => {
    if (!spec) return undefined;
    const id = select(paths, [...key, 'path'], data);
    if (id === undefined || id === null || id === '') return undefined;
    const facts = deviceFromId(String(id), spec.system);
    if (spec.manufacturer) facts.manufacturer = spec.manufacturer;
    if (spec.model) facts.model = spec.model;
    return facts;
  };
  const rootDevice = deviceOf(definition.device, ['device'], root);
  const patientText = definition.patient ? select(paths, ['patient', 'path'], root) : undefined;
  const patient = patientHint(typeof patientText === 'string' || typeof patientText === 'number' ? String(patientText) : payload.context?.patient);
  for (const [m, spec] of (definition.measurements ?? []).entries()) {
    const matchKey = jsonPathText(['measurements', m, 'match']);
    const tokens = paths.get(matchKey)?.path.selectTokens(root) ?? [root];
    tokens.forEach((token, t) => {
      const where = `${spec.match}[${t}]`;
      const device = deviceOf(spec.device, ['measurements', m, 'device'], token) ?? rootDevice ?? (payload.context?.device ? { identifier: payload.context.device } : undefined);
      if (!device) throw new PayloadError(`No device id at ${spec.device?.path ?? definition.device?.path ?? 'device.path'} and none was given`, spec.device?.path ?? definition.device?.path ?? '$', 'required');
      const timeSpec = spec.timestamp ?? definition.timestamp;
      const timeRaw = spec.timestamp ? select(paths, ['measurements', m, 'timestamp', 'path'], token) : definition.timestamp ? select(paths, ['timestamp', 'path'], root) : payload.context?.receivedAt;
      const start = timeOf(timeSpec, timeRaw, payload.context, timeSpec?.path ?? '$');
      const values: MeasurementValue[] = [];
      for (const [v, valueSpec] of spec.values.entries()) {
        const key: JsonPathSegments = ['measurements', m, 'values', v];
        let raw = select(paths, [...key, 'path'], token);
        if (raw === undefined || raw === null || raw === '') {
          if (valueSpec.required) throw new PayloadError(`Required value '${valueSpec.name}' missing at ${valueSpec.path} (reading ${where})`, valueSpec.path, 'required');
          continue;
        }
        if (valueSpec.scale !== undefined) {
          const number = typeof raw === 'string' ? Number(raw) : numericValue(raw);
          if (number === undefined || Number.isNaN(number)) throw new PayloadError(`Value '${valueSpec.name}' ${JSON.stringify(raw)} is not a number`, valueSpec.path, 'value');
          raw = Number((number * valueSpec.scale).toPrecision(12));
        }
        const unitRaw = valueSpec.unitPath ? select(paths, [...key, 'unitPath'], token) : valueSpec.unit;
        values.push({ name: valueSpec.name, value: raw as MeasurementValue['value'], ...(typeof unitRaw === 'string' ? { unit: unitRaw } : {}), path: valueSpec.path });
      }
      const measurement: Measurement = { type: spec.type, start, device, values, source: { source: 'payload', path: where } };
      if (patient) measurement.patient = patient;
      measurements.push(measurement);
    });
  }
  return { measurements, issues };
}
