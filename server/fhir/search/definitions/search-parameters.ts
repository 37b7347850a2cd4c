import { definitionsOfType, type FhirJson } from '../../../../conformance/definition-package.ts';
import { typeModel } from '../../../../conformance/type-model.ts';
import { compileExtractor } from './compile-extractor.ts';
import { compileComposite, type CompositeExtractor } from './compile-composite.ts';
import { splitUnion } from './path-expression.ts';
import { detectAliases } from './alias-detection.ts';
import type { Extractor } from './typed-node.ts';

export type SearchParamType = 'number' | 'date' | 'string' | 'token' | 'reference' | 'composite' | 'quantity' | 'uri' | 'special';

export interface CompositeComponent {
  /** The component's own parameter (its type tells how to compare). */
  definition: string;
  /** Expression relative to the composite's base element. */
  expression: string;
}

export interface SearchParamDefinition {
  code: string;
  url: string;
  type: SearchParamType;
  resourceType: string;
  /** The part of the definition's expression that applies to this resource type. */
  expression?: string;
  /** Resource types a reference parameter may point to. */
  targets: string[];
  components: CompositeComponent[];
  /** Values of this parameter found in a resource; undefined for parameters that are not indexed. */
  extract?: Extractor;
  /** Answered from other parameters' index rows (see alias-detection.ts); not indexed itself. */
  aliasOf?: { codes: string[]; targetType?: string };
  /** For composite parameters: component values per base element, and each component's type. */
  extractComposite?: CompositeExtractor;
  componentTypes?: SearchParamType[];
  source: FhirJson;
}

/** Parameters answered from the resource table itself rather than from index rows. */
export const RESOURCE_COLUMN_PARAMS = new Set(['_id', '_lastUpdated']);

/**
 * Every SearchParameter in the R4 definitions, per resource type. Base `Resource` parameters
 * (_id, _lastUpdated, _tag, _profile, _security, _source) apply to every type.
 */
export class SearchParameterRegistry {
  private readonly byType = new Map<string, Map<string, SearchParamDefinition>>();
  private readonly byUrl = new Map<string, FhirJson>();

  constructor(definitions: FhirJson[], resourceTypes: string[]) {
    for (const definition of definitions) this.byUrl.set(definition.url, definition);
    const inherited = definitions.filter((d) => d.base?.some((base: string) => base === 'Resource' || base === 'DomainResource'));
    for (const resourceType of resourceTypes) {
      const params = new Map<string, SearchParamDefinition>();
      for (const definition of [...inherited, ...definitions.filter((d) => d.base?.includes(resourceType))]) {
        if (params.has(definition.code)) continue;
        const param = this.forType(definition, resourceType);
        if (param) params.set(param.code, param);
      }
      detectAliases(params);
      this.byType.set(resourceType, params);
    }
  }

  private forType(definition: FhirJson, resourceType: string): SearchParamDefinition | undefined {
    const base: SearchParamDefinition = {
      code: definition.code,
      url: definition.url,
      type: definition.type,
      resourceType,
      targets: definition.target ?? [],
      components: (definition.component ?? []).map((c: FhirJson) => ({ definition: c.definition, expression: c.expression })),
      source: definition,
    };
    if (RESOURCE_COLUMN_PARAMS.has(definition.code)) return base;
    if (!definition.expression) return undefined;
    const alternatives = splitUnion(definition.expression).filter((alternative) => {
      const root = /^\(?\s*([A-Za-z]+)/.exec(alternative)?.[1];
      return root === resourceType || root === 'Resource' || root === 'DomainResource';
    });
    if (alternatives.length === 0) return undefined;
    const expression = alternatives.join(' | ');
    if (definition.type === 'composite') {
      const componentTypes = base.components.map((c) => this.byUrl.get(c.definition)?.type as SearchParamType | undefined);
      const extractComposite = componentTypes.every(Boolean)
        ? compileComposite(resourceType, expression, base.components.map((c) => c.expression))
        : undefined;
      return { ...base, expression, extractComposite, componentTypes: extractComposite ? (componentTypes as SearchParamType[]) : undefined };
    }
    if (definition.type === 'special') return { ...base, expression };
    return { ...base, expression, extract: compileExtractor(resourceType, alternatives) };
  }

  paramsFor(resourceType: string): Map<string, SearchParamDefinition> {
    return this.byType.get(resourceType) ?? new Map();
  }

  param(resourceType: string, code: string): SearchParamDefinition | undefined {
    return this.byType.get(resourceType)?.get(code);
  }

  definitionByUrl(url: string): FhirJson | undefined {
    return this.byUrl.get(url);
  }

  resourceTypes(): string[] {
    return [...this.byType.keys()];
  }
}

let registry: SearchParameterRegistry | undefined;

export function searchParameters(): SearchParameterRegistry {
  registry ??= new SearchParameterRegistry(definitionsOfType('SearchParameter'), typeModel().resourceTypes);
  return registry;
}
