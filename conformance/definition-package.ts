import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

/**
 * Read access to the official R4 definitions (npm `hl7.fhir.r4.examples@4.0.1`). Everything the
 * server knows about types, elements, search parameters, value sets and compartments comes from
 * here, never from hand-written lists. Files are read lazily per kind and cached for the process.
 */
const require = createRequire(import.meta.url);
export const DEFINITIONS_DIR = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));

export type FhirJson = Record<string, any>;

let fileNames: string[] | undefined;
const byPrefix = new Map<string, FhirJson[]>();

function listFiles(): string[] {
  fileNames ??= fs.readdirSync(DEFINITIONS_DIR).filter((name) => name.endsWith('.json') && name !== 'package.json');
  return fileNames;
}

/** All package resources whose file name starts with `<resourceType>-` (e.g. "SearchParameter"). */
export function definitionsOfType(resourceType: string): FhirJson[] {
  let found = byPrefix.get(resourceType);
  if (!found) {
    found = listFiles()
      .filter((name) => name.startsWith(resourceType + '-'))
      .map((name) => JSON.parse(fs.readFileSync(path.join(DEFINITIONS_DIR, name), 'utf8')) as FhirJson)
      .filter((resource) => resource.resourceType === resourceType)
      .map(withoutDocumentation);
    byPrefix.set(resourceType, found);
  }
  return found;
}

/** Element fields written for human readers, and mappings to other standards: nothing here reads them. */
const ELEMENT_DOCUMENTATION = ['short', 'definition', 'comment', 'requirements', 'alias', 'mapping'];

/**
 * A definition without what only people read: narrative, the differential (the snapshot has it
 * all), mappings to other standards, and element documentation. These definitions stay in the
 * heap for the life of the process, where every major collection marks them again; the parts
 * dropped were about 40 % of their objects (the StructureDefinitions went from 67 to 25 MB).
 */
function withoutDocumentation(resource: FhirJson): FhirJson {
  delete resource.text;
  if (resource.resourceType === 'StructureDefinition') {
    delete resource.differential;
    delete resource.mapping;
    for (const element of resource.snapshot?.element ?? []) for (const field of ELEMENT_DOCUMENTATION) delete element[field];
  }
  return resource;
}

const CONFORMANCE_TYPES = new Set([
  'StructureDefinition', 'SearchParameter', 'ValueSet', 'CodeSystem', 'ConceptMap',
  'OperationDefinition', 'CompartmentDefinition', 'CapabilityStatement', 'ImplementationGuide', 'NamingSystem',
]);

/** File names of the example instances (everything that is not a conformance resource). */
export function exampleFileNames(): string[] {
  return listFiles().filter((name) => !CONFORMANCE_TYPES.has(name.slice(0, name.indexOf('-'))));
}

export function readDefinitionFile(name: string): string {
  return fs.readFileSync(path.join(DEFINITIONS_DIR, name), 'utf8');
}
