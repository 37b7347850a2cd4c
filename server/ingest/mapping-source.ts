import { parseMappingDefinition } from '../../mappings/definition/parse-definition.ts';
import type { IdentityMode, MappingResult } from '../../mappings/mapping.ts';
import { importMedTechTemplates } from '../../mappings/medtech/import.ts';

/**
 * A custom mapping as sent and stored: our declarative JSON (which carries its own id), or a
 * MedTech device template with an optional FHIR destination template (which carry none, so the
 * id and identity mode come beside them).
 */
export type MappingSource =
  | { format: 'vitalchain'; definition: string }
  | { format: 'medtech'; id: string; definition: string; fhirDefinition?: string; identity?: IdentityMode };

/** Compiles a source; issues carry the template line and column (`path` names device/fhir for MedTech). */
export function compileMappingSource(source: MappingSource): MappingResult {
  if (source.format === 'vitalchain') return parseMappingDefinition(source.definition);
  return importMedTechTemplates(source.definition, source.fhirDefinition, { id: source.id, ...(source.identity ? { identity: source.identity } : {}) });
}

/** The id a source declares (declarative JSON names it; MedTech imports are given one). */
export function declaredId(source: MappingSource): string | undefined {
  if (source.format === 'medtech') return source.id;
  try {
    const id = (JSON.parse(source.definition.replace(/^\uFEFF/, '')) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

export const MAPPING_ID = /^[A-Za-z0-9][A-Za-z0-9\-._]{0,63}$/;
