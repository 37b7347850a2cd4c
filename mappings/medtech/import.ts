import { JsonSyntaxError } from '../../server/fhir/json/index.ts';
import { DEVICE_ID_SYSTEM } from '../identity.ts';
import { PayloadError, hasErrors, type MappingIssue } from '../issue.ts';
import { parseLocatedJson, type LocatedJson } from '../json-locations.ts';
import type { IdentityMode, Mapping, MappingResult, NormalizeResult } from '../mapping.ts';
import { standardRule, type ObservationRule } from '../observation-rule.ts';
import type { PayloadInput } from '../payload.ts';
import { evaluateDeviceTemplates, parseDeviceTemplates } from './device-templates.ts';
import { parseFhirTemplates } from './fhir-templates.ts';

export interface MedTechImportOptions {
  id?: string;
  title?: string;
  identity?: IdentityMode;
  /** Identifier system for the template's deviceId values (default urn:vitalchain:device-id). */
  deviceIdentifierSystem?: string;
}

function parseText(text: string, which: 'device' | 'fhir', issues: MappingIssue[]): LocatedJson | undefined {
  try {
    return parseLocatedJson(text);
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    issues.push({ severity: 'error', code: 'structure', diagnostics: `Line Number: ${error.line}, Position: ${error.column}. ${error.reason}`, location: { source: 'template', path: which, line: error.line, column: error.column } });
    return undefined;
  }
}

/**
 * MedTech's envelope: a payload that already has a top-level `Body` is the envelope; anything
 * else becomes its Body (IoT Hub / Event Hub messages reach the templates that way).
 */
export function medTechEnvelope(body: unknown): Record<string, unknown> {
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && Object.prototype.hasOwnProperty.call(body, 'Body')) return body as Record<string, unknown>;
  return { Body: body, Properties: {}, SystemProperties: {} };
}

/**
 * Imports a MedTech device mapping and (optionally) its FHIR destination mapping, unchanged, as
 * one Mapping. Issues carry the template, line and column; a mapping is returned only when no
 * issue is an error. Cross-checks follow Microsoft's MappingValidator: device types without a
 * FHIR template, and values a FHIR template never reads, are warnings.
 */
export function importMedTechTemplates(deviceTemplateText: string, fhirTemplateText?: string, options: MedTechImportOptions = {}): MappingResult {
  const issues: MappingIssue[] = [];
  const device = parseText(deviceTemplateText, 'device', issues);
  const fhir = fhirTemplateText === undefined ? undefined : parseText(fhirTemplateText, 'fhir', issues);
  if (!device || (fhirTemplateText !== undefined && !fhir)) return { issues };
  const templates = parseDeviceTemplates(device, issues);
  const rules = fhir ? parseFhirTemplates(fhir, issues) : new Map<string, ObservationRule>();
  const identity = options.identity ?? 'lookup';

  for (const template of templates) {
    const at = device.locate(template.path);
    const location = { source: 'template' as const, path: `device${template.path.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('')}`, ...(at ?? {}) };
    if (identity === 'create' && !template.patientId) {
      issues.push({ severity: 'error', code: 'required', diagnostics: `Identity resolution 'create' needs patientIdExpression in '${template.typeName}'`, location });
    }
    const rule = rules.get(template.typeName) ?? (fhir ? undefined : standardRule(template.typeName));
    if (!rule) {
      issues.push({ severity: 'warning', code: 'not-found', diagnostics: `No matching Fhir Template exists for Device Mapping [${template.typeName}]. Ensure case matches. Available Fhir Templates: [${[...rules.keys()].join(', ')}]`, location });
      continue;
    }
    const read = new Set([rule.value?.from, ...(rule.components ?? []).map((component) => component.value.from)]);
    for (const value of template.values) {
      if (!read.has(value.name)) issues.push({ severity: 'warning', code: 'incomplete', diagnostics: `The value [${value.name}] in Device Mapping [${template.typeName}] is not represented within the Fhir Template`, location });
    }
  }
  if (templates.length === 0 && !hasErrors(issues)) issues.push({ severity: 'warning', code: 'incomplete', diagnostics: 'The device mapping defines no templates', location: { source: 'template', path: 'device' } });
  if (hasErrors(issues)) return { issues };

  const deviceSystem = options.deviceIdentifierSystem ?? DEVICE_ID_SYSTEM;
  const normalize = (payload: PayloadInput): NormalizeResult => {
    if (payload.format !== 'json') throw new PayloadError('MedTech templates read JSON payloads', '$', 'not-supported');
    const normalizeIssues: MappingIssue[] = [];
    const measurements = evaluateDeviceTemplates(templates, medTechEnvelope(payload.body), { deviceSystem, ...(payload.context?.timeZone ? { timeZone: payload.context.timeZone } : {}), issues: normalizeIssues });
    if (measurements.length === 0 && normalizeIssues.length === 0) {
      normalizeIssues.push({ severity: 'warning', code: 'incomplete', diagnostics: 'No measurements were produced for the given device data.', location: { source: 'payload', path: '$' } });
    }
    return { measurements, issues: normalizeIssues };
  };
  const mapping: Mapping = {
    id: options.id ?? 'medtech',
    title: options.title ?? 'Imported Azure MedTech templates',
    kind: 'medtech',
    identity,
    formats: ['json'],
    normalize,
    ruleFor: (type) => rules.get(type) ?? (fhir ? undefined : standardRule(type)),
    templateIssues: issues.slice(),
  };
  return { mapping, issues };
}
