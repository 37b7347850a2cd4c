import { FhirDecimal } from '../../server/fhir/json/index.ts';
import { DEVICE_ID_SYSTEM, patientHint } from '../identity.ts';
import type { MappingIssue } from '../issue.ts';
import type { JsonPathSegments, LocatedJson } from '../json-locations.ts';
import type { Measurement } from '../measurement.ts';
import { parseIsoDateTime } from '../timestamps.ts';
import { compileTemplateExpression, type ExpressionLanguage, type TemplateExpression } from './template-expression.ts';

export type ContentTemplateType = 'JsonPathContent' | 'IotJsonPathContent' | 'IotCentralJsonPathContent' | 'CalculatedContent';

const TYPES: Record<string, ContentTemplateType> = {
  jsonpathcontent: 'JsonPathContent',
  iotjsonpathcontent: 'IotJsonPathContent',
  iotcentraljsonpathcontent: 'IotCentralJsonPathContent',
  calculatedcontent: 'CalculatedContent',
};

/** Fixed expressions of the IoT templates (IotJsonPathContentTemplate.cs, IotCentralJsonPathContentTemplate.cs). */
const IOT_DEFAULTS: Record<string, { deviceId: string; timestamps: string[] }> = {
  IotJsonPathContent: { deviceId: '$.SystemProperties.iothub-connection-device-id', timestamps: ['$.Properties.iothub-creation-time-utc', '$.SystemProperties.iothub-enqueuedtime'] },
  IotCentralJsonPathContent: { deviceId: '$.deviceId', timestamps: ['$.enqueuedTime'] },
};

interface ValueTemplate {
  name: string;
  required: boolean;
  expression: TemplateExpression;
}

export interface ContentTemplate {
  templateType: ContentTemplateType;
  typeName: string;
  typeMatch: TemplateExpression;
  deviceId: TemplateExpression[];
  timestamp: TemplateExpression[];
  patientId?: TemplateExpression;
  encounterId?: TemplateExpression;
  correlationId?: TemplateExpression;
  values: ValueTemplate[];
  /** JsonPathContent and the IoT templates evaluate relative to the matched token; CalculatedContent against envelope + matchedToken. */
  legacy: boolean;
  path: JsonPathSegments;
}

type Json = Record<string, unknown>;

function truthy(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.toLowerCase() === 'true');
}

/**
 * Reads a MedTech device-mapping document (CollectionContent of JsonPathContent,
 * IotJsonPathContent, IotCentralJsonPathContent, CalculatedContent) into compiled templates,
 * collecting MedTech's template errors ("An expression must be set for [X]", unknown
 * templateType, unparsable expressions) with the line and column of the offending member.
 */
export function parseDeviceTemplates(located: LocatedJson, issues: MappingIssue[]): ContentTemplate[] {
  const templates: ContentTemplate[] = [];
  const report = (path: JsonPathSegments, diagnostics: string, severity: MappingIssue['severity'] = 'error') => {
    const at = located.locate(path);
    issues.push({ severity, code: 'invalid', diagnostics, location: { source: 'template', path: `device${pathText(path)}`, ...(at ?? {}) } });
  };
  const root = located.value as Json;
  if (root === null || typeof root !== 'object' || Array.isArray(root)) {
    report([], 'The device mapping must be a JSON object with templateType CollectionContent');
    return templates;
  }
  const rootType = typeof root.templateType === 'string' ? root.templateType.toLowerCase() : '';
  let entries: { value: unknown; path: JsonPathSegments }[];
  if (rootType === 'collectioncontent') {
    if (!Array.isArray(root.template)) {
      report(['template'], 'Expected an array for the template property value for template type CollectionContent');
      return templates;
    }
    entries = root.template.map((value, index) => ({ value, path: ['template', index] }));
  } else if (TYPES[rootType]) entries = [{ value: root, path: [] }];
  else {
    report(['templateType'], `Unknown or missing templateType ${JSON.stringify(root.templateType ?? null)} for a device mapping; expected CollectionContent`);
    return templates;
  }
  for (const entry of entries) {
    const parsed = parseContentTemplate(entry.value, entry.path, report);
    if (parsed) templates.push(parsed);
  }
  return templates;
}

function parseContentTemplate(value: unknown, path: JsonPathSegments, report: (path: JsonPathSegments, message: string, severity?: MappingIssue['severity']) => void): ContentTemplate | undefined {
  const wrapper = value as Json;
  if (wrapper === null || typeof wrapper !== 'object' || Array.isArray(wrapper)) return void report(path, 'Each template must be an object with templateType and template');
  const templateType = TYPES[typeof wrapper.templateType === 'string' ? wrapper.templateType.toLowerCase() : ''];
  if (!templateType) return void report([...path, 'templateType'], `Unknown templateType ${JSON.stringify(wrapper.templateType ?? null)}; expected JsonPathContent, IotJsonPathContent, IotCentralJsonPathContent or CalculatedContent`);
  const body = wrapper.template as Json;
  const at = [...path, 'template'];
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return void report(at, `Expected an object for the template property value for template type ${templateType}`);
  const language: ExpressionLanguage = templateType === 'CalculatedContent' && typeof body.defaultExpressionLanguage === 'string' && body.defaultExpressionLanguage.toLowerCase() === 'jmespath' ? 'JmesPath' : 'JsonPath';
  let ok = true;
  const expression = (name: string, required: boolean, fixedLanguage?: ExpressionLanguage): TemplateExpression | undefined => {
    const raw = body[name];
    try {
      const compiled = compileTemplateExpression(raw, templateType === 'CalculatedContent' ? language : (fixedLanguage ?? 'JsonPath'), [...at, name]);
      if (!compiled && required) {
        ok = false;
        report(raw === undefined ? at : [...at, name], `An expression must be set for [${name.charAt(0).toUpperCase()}${name.slice(1)}] in ${templateType} '${String(body.typeName ?? '')}'`);
      }
      return compiled;
    } catch (error) {
      ok = false;
      report([...at, name], (error as Error).message);
      return undefined;
    }
  };
  if (typeof body.typeName !== 'string' || body.typeName.trim() === '') {
    ok = false;
    report(body.typeName === undefined ? at : [...at, 'typeName'], `typeName is required in ${templateType}`);
  }
  const typeMatch = expression('typeMatchExpression', true);
  const iot = IOT_DEFAULTS[templateType];
  const deviceId = iot ? [compileTemplateExpression(iot.deviceId, 'JsonPath', [...at])!] : [expression('deviceIdExpression', true)].filter((e): e is TemplateExpression => !!e);
  const timestamp = iot ? iot.timestamps.map((text) => compileTemplateExpression(text, 'JsonPath', [...at])!) : [expression('timestampExpression', true)].filter((e): e is TemplateExpression => !!e);
  const values: ValueTemplate[] = [];
  if (body.values !== undefined && !Array.isArray(body.values)) report([...at, 'values'], 'values must be an array');
  (Array.isArray(body.values) ? body.values : []).forEach((entry: Json, index: number) => {
    const valuePath = [...at, 'values', index];
    if (entry === null || typeof entry !== 'object') return void report(valuePath, 'Each value must be an object');
    if (typeof entry.valueName !== 'string' || entry.valueName === '') {
      ok = false;
      return void report(valuePath, `valueName is required for each value of ${templateType} '${String(body.typeName ?? '')}'`);
    }
    try {
      const compiled = compileTemplateExpression(entry.valueExpression, templateType === 'CalculatedContent' ? language : 'JsonPath', [...valuePath, 'valueExpression']);
      if (!compiled) {
        ok = false;
        return void report(valuePath, `An expression must be set for [${entry.valueName}]`);
      }
      values.push({ name: entry.valueName, required: truthy(entry.required), expression: compiled });
    } catch (error) {
      ok = false;
      report([...valuePath, 'valueExpression'], (error as Error).message);
    }
  });
  const patientId = expression('patientIdExpression', false);
  const encounterId = expression('encounterIdExpression', false);
  const correlationId = expression('correlationIdExpression', false);
  if (!ok || !typeMatch) return undefined;
  const template: ContentTemplate = { templateType, typeName: String(body.typeName), typeMatch, deviceId, timestamp, values, legacy: templateType !== 'CalculatedContent', path: at };
  if (patientId) template.patientId = patientId;
  if (encounterId) template.encounterId = encounterId;
  if (correlationId) template.correlationId = correlationId;
  return template;
}

function pathText(path: JsonPathSegments): string {
  return path.map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${segment}`)).join('');
}

/** MedTech values are strings (`"65"`), as Newtonsoft's Value<string>() renders the token. */
function tokenText(token: unknown): string | undefined {
  if (token === null || token === undefined) return undefined;
  if (typeof token === 'string') return token;
  if (typeof token === 'number') return String(token);
  if (token instanceof FhirDecimal) return token.text;
  if (typeof token === 'boolean') return token ? 'True' : 'False';
  throw new Error('the token is an object or array, not a value');
}

export interface EvaluationContext {
  deviceSystem: string;
  timeZone?: string;
  issues: MappingIssue[];
}

/** Runs every template against one envelope (MedTech evaluates each message against all templates). */
export function evaluateDeviceTemplates(templates: readonly ContentTemplate[], envelope: Json, context: EvaluationContext): Measurement[] {
  const measurements: Measurement[] = [];
  for (const template of templates) {
    const templateLocation = { source: 'template' as const, path: `device${pathText(template.typeMatch.path)}` };
    let tokens: unknown[];
    try {
      tokens = template.typeMatch.selectTokens(envelope);
    } catch (error) {
      context.issues.push({ severity: 'error', code: 'processing', diagnostics: `typeMatchExpression of '${template.typeName}': ${(error as Error).message}`, location: templateLocation });
      continue;
    }
    for (const token of tokens) {
      const scope = template.legacy ? token : { ...envelope, matchedToken: token };
      const problem = (message: string, expression?: TemplateExpression) =>
        context.issues.push({ severity: 'error', code: 'value', diagnostics: `${template.typeName}: ${message}`, location: { source: 'payload', path: expression ? `${expression.language}:${expression.text}` : '$' } });
      const text = (expressions: TemplateExpression[], name: string, required: boolean): string | undefined => {
        const failures: string[] = [];
        for (const expression of expressions) {
          try {
            const value = tokenText(expression.selectToken(scope));
            if (value !== undefined && (value !== '' || !required)) return value;
          } catch (error) {
            failures.push(`Encountered an error while extracting value for [${name}] using expression ${expression.text}: ${(error as Error).message}`);
          }
        }
        if (required) problem(failures.length > 0 ? failures.join('; ') : `Unable to extract required value for [${name}] using ${expressions.map((e) => e.text).join(',')}`, expressions[0]);
        return undefined;
      };
      const deviceId = text(template.deviceId, 'DeviceIdExpression', true);
      const timestampText = text(template.timestamp, 'TimestampExpression', true);
      if (deviceId === undefined || timestampText === undefined) continue;
      const time = parseIsoDateTime(timestampText, context.timeZone);
      if (!time) {
        problem(`Timestamp ${JSON.stringify(timestampText)} is not a valid date-time`, template.timestamp[0]);
        continue;
      }
      if (time.assumedZone && !context.timeZone) {
        context.issues.push({ severity: 'information', code: 'informational', diagnostics: `${template.typeName}: timestamp ${timestampText} has no offset; read as UTC (as MedTech does)`, location: { source: 'payload', path: `${template.timestamp[0]!.language}:${template.timestamp[0]!.text}` } });
      }
      const measurement: Measurement = { type: template.typeName, start: time.value, device: { identifier: { system: context.deviceSystem, value: deviceId } }, values: [], source: { source: 'payload', path: `${template.typeMatch.language}:${template.typeMatch.text}` } };
      const patient = template.patientId ? patientHint(text([template.patientId], 'PatientIdExpression', false)) : undefined;
      if (patient) measurement.patient = patient;
      const encounter = template.encounterId ? text([template.encounterId], 'EncounterIdExpression', false) : undefined;
      if (encounter) measurement.encounter = encounter;
      if (template.correlationId) {
        const correlation = text([template.correlationId], 'CorrelationIdExpression', true);
        if (correlation === undefined) continue;
        measurement.correlationId = correlation;
      }
      let complete = true;
      for (const value of template.values) {
        const extracted = text([value.expression], value.name, value.required);
        if (extracted === undefined) {
          if (value.required) complete = false;
          continue;
        }
        measurement.values.push({ name: value.name, value: extracted, path: `${value.expression.language}:${value.expression.text}` });
      }
      if (complete) measurements.push(measurement);
    }
  }
  return measurements;
}

export { DEVICE_ID_SYSTEM };
