import fs from 'node:fs';
import path from 'node:path';
import { parseMappingDefinition } from '../mappings/definition/parse-definition.ts';
import type { MappingResult } from '../mappings/mapping.ts';
import { importMedTechTemplates } from '../mappings/medtech/import.ts';
import { getBuiltInMapping, listMappings } from '../mappings/registry.ts';

/**
 * `--mapping` as the CLI and golden cases accept it: a built-in id, one of our mapping JSON
 * files, or a MedTech device template (with its FHIR destination template when given).
 */
export function loadMapping(spec: string, fhirMappingFile?: string, baseDir = process.cwd()): MappingResult {
  const builtIn = getBuiltInMapping(spec);
  if (builtIn && !fhirMappingFile) return { mapping: builtIn, issues: [] };
  const file = path.resolve(baseDir, spec);
  if (!fs.existsSync(file)) {
    return { issues: [{ severity: 'error', code: 'not-found', diagnostics: `'${spec}' is neither a built-in mapping (${listMappings().map((m) => m.id).join(', ')}) nor a file` }] };
  }
  const text = fs.readFileSync(file, 'utf8');
  const fhirText = fhirMappingFile ? fs.readFileSync(path.resolve(baseDir, fhirMappingFile), 'utf8') : undefined;
  if (fhirText !== undefined || /"templateType"\s*:/.test(text)) return importMedTechTemplates(text, fhirText, { id: path.basename(file, '.json') });
  return parseMappingDefinition(text);
}
