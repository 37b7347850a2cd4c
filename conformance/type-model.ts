import { definitionsOfType, type FhirJson } from './definition-package.ts';

/** One element of a type, as its StructureDefinition snapshot defines it. */
export interface ElementDefinitionInfo {
  /** Full path, e.g. "Observation.value[x]". */
  path: string;
  /** Property name in JSON without the [x] suffix, e.g. "value". */
  name: string;
  min: number;
  /** Maximum cardinality, Infinity for "*". */
  max: number;
  isChoice: boolean;
  /** Type codes ("Quantity", "string", "Reference", or "BackboneElement" for nested parts). */
  types: ElementType[];
  /** For elements that reuse another element's definition ("#Questionnaire.item"). */
  contentReference?: string;
  /** Source definition, for consumers that need more (bindings, constraints, fixed values). */
  definition: FhirJson;
}

export interface ElementType {
  code: string;
  targetProfiles?: string[];
  profiles?: string[];
}

export interface TypeDefinition {
  name: string;
  url: string;
  kind: 'resource' | 'complex-type' | 'primitive-type' | 'logical';
  abstract: boolean;
  baseType?: string;
  /** Elements keyed by full path. */
  elements: Map<string, ElementDefinitionInfo>;
  /** Children of an element path, keyed by JSON property name without [x]. */
  children: Map<string, Map<string, ElementDefinitionInfo>>;
  structureDefinition: FhirJson;
}

const FHIRPATH_SYSTEM_TYPE = /^http:\/\/hl7\.org\/fhirpath\/System\./;

function elementTypes(element: FhirJson): ElementType[] {
  return (element.type ?? []).map((type: FhirJson) => {
    // Primitive value and id elements are typed as FHIRPath system types; the FHIR type lives in an extension.
    let code: string = type.code;
    if (FHIRPATH_SYSTEM_TYPE.test(code)) {
      const fhirType = type.extension?.find((ext: FhirJson) => ext.url?.endsWith('structuredefinition-fhir-type'));
      code = fhirType?.valueUrl ?? fhirType?.valueUri ?? code.replace(FHIRPATH_SYSTEM_TYPE, '').toLowerCase();
    }
    return { code, targetProfiles: type.targetProfile, profiles: type.profile };
  });
}

function buildType(sd: FhirJson): TypeDefinition {
  const elements = new Map<string, ElementDefinitionInfo>();
  const children = new Map<string, Map<string, ElementDefinitionInfo>>();
  for (const element of sd.snapshot?.element ?? []) {
    const path: string = element.path;
    const lastDot = path.lastIndexOf('.');
    const rawName = lastDot < 0 ? path : path.slice(lastDot + 1);
    const isChoice = rawName.endsWith('[x]');
    const info: ElementDefinitionInfo = {
      path,
      name: isChoice ? rawName.slice(0, -3) : rawName,
      min: element.min ?? 0,
      max: element.max === '*' ? Infinity : Number(element.max ?? 1),
      isChoice,
      types: elementTypes(element),
      contentReference: element.contentReference,
      definition: element,
    };
    // Profiles slice elements (path repeats with a sliceName); the type model keeps the base element.
    if (elements.has(path)) continue;
    elements.set(path, info);
    if (lastDot >= 0) {
      const parent = path.slice(0, lastDot);
      let siblings = children.get(parent);
      if (!siblings) children.set(parent, (siblings = new Map()));
      siblings.set(info.name, info);
    }
  }
  return {
    name: sd.type,
    url: sd.url,
    kind: sd.kind,
    abstract: sd.abstract === true,
    baseType: sd.baseDefinition?.split('/').pop(),
    elements,
    children,
    structureDefinition: sd,
  };
}

/** The base R4 type system: resources, complex and primitive data types (no profiles). */
export class TypeModel {
  readonly types = new Map<string, TypeDefinition>();
  /** Concrete resource types, from the definitions (146 in R4). */
  readonly resourceTypes: string[];
  readonly profiles = new Map<string, FhirJson>();

  constructor(structureDefinitions: FhirJson[]) {
    for (const sd of structureDefinitions) {
      if (sd.derivation === 'constraint') {
        this.profiles.set(sd.url, sd);
        continue;
      }
      if (sd.kind === 'logical') continue;
      this.types.set(sd.type, buildType(sd));
    }
    this.resourceTypes = [...this.types.values()]
      .filter((t) => t.kind === 'resource' && !t.abstract)
      .map((t) => t.name)
      .sort();
  }

  isResourceType(name: string): boolean {
    const type = this.types.get(name);
    return type !== undefined && type.kind === 'resource' && !type.abstract;
  }

  isPrimitive(name: string): boolean {
    return this.types.get(name)?.kind === 'primitive-type';
  }

  /**
   * Children of a path inside a type, following contentReference and nested data types:
   * childrenOf("Observation", "Observation.component") or childrenOf("Quantity", "Quantity").
   */
  childrenOf(typeName: string, path: string): Map<string, ElementDefinitionInfo> | undefined {
    const type = this.types.get(typeName);
    if (!type) return undefined;
    const direct = type.children.get(path);
    if (direct) return direct;
    const element = type.elements.get(path);
    if (element?.contentReference) return this.childrenOf(typeName, element.contentReference.replace(/^#/, ''));
    return undefined;
  }
}

let model: TypeModel | undefined;

export function typeModel(): TypeModel {
  model ??= new TypeModel(definitionsOfType('StructureDefinition'));
  return model;
}
