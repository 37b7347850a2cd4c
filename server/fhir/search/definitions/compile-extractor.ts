import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import { typeModel, type ElementDefinitionInfo, type TypeModel } from '../../../../conformance/type-model.ts';
import { withPlainNumbers } from '../../json/index.ts';
import { expandValueSet } from '../../../../conformance/value-set-expansion.ts';
import { parsePathExpression, type PathExpression, type PathStep } from './path-expression.ts';
import { extractorOf, listExtractor, type Extractor, type NodeVisitor, type TypedNode } from './typed-node.ts';

/**
 * Compiles one SearchParameter expression (already narrowed to one resource type) into a plain
 * function over the resource JSON. Index extraction runs on every write, so the simple paths that
 * nearly all parameters use are walked directly with the element model; fhirpath.js is only the
 * fallback for the few expressions outside that subset.
 */
export function compileExtractor(resourceType: string, alternatives: string[]): Extractor {
  const compiled = alternatives.map((alternative) => compileAlternative(resourceType, alternative));
  if (compiled.length === 1) return compiled[0];
  // FHIRPath `|` is a set union: a value reached by two paths is indexed once.
  return listExtractor((resource) => {
    const all = compiled.flatMap((extract) => extract(resource));
    if (all.length < 2) return all;
    const seen = new Set<string>();
    return all.filter((node) => {
      const key = typeof node.value === 'object' ? JSON.stringify(node.value) : `${typeof node.value}:${String(node.value)}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  });
}

function compileAlternative(resourceType: string, source: string): Extractor {
  const parsed = parsePathExpression(source);
  if (parsed && (parsed.root === resourceType || parsed.root === 'Resource' || parsed.root === 'DomainResource')) {
    const model = typeModel();
    const sink = parsed.steps.some((step) => step.kind === 'index') ? undefined : compileSteps(model, parsed.steps, 0, { owner: resourceType, path: resourceType, type: resourceType });
    if (sink) return extractorOf(sink);
    // Indexing ([0]) needs the whole collection at that point: walk generically.
    return listExtractor((resource) => walk(model, resourceType, parsed, resource));
  }
  return listExtractor(fhirpathExtractor(source));
}

/**
 * A `code` element bound to a value set whose codes all come from one code system implies that
 * system, so `gender=http://hl7.org/fhir/administrative-gender|male` matches as well as `gender=male`.
 */
function impliedSystem(valueSet: string | undefined): string | undefined {
  if (!valueSet) return undefined;
  const expansion = expandValueSet(valueSet);
  return expansion && expansion.bySystem.size === 1 ? [...expansion.bySystem.keys()][0] : undefined;
}

/** Static position reached by a path (for composites, whose components are relative to it). */
export function positionAfter(model: TypeModel, steps: PathStep[], start: StaticPosition): StaticPosition | undefined {
  let at: StaticPosition | undefined = start;
  for (let i = 0; i < steps.length && at; i++) {
    const step = steps[i];
    if (step.kind === 'child') {
      const current: StaticPosition = at;
      const element: ElementDefinitionInfo | undefined = model.childrenOf(current.owner, current.path)?.get(step.name);
      if (!element || element.isChoice) return undefined;
      const code: string = element.types[0]?.code ?? 'BackboneElement';
      const nested: boolean = element.contentReference !== undefined || code === 'BackboneElement' || code === 'Element';
      at = nested ? { owner: current.owner, path: element.contentReference?.replace(/^#/, '') ?? element.path, type: 'BackboneElement' } : { owner: code, path: code, type: code };
    } else if (step.kind === 'as') at = isA(model, at.type, step.type) ? at : undefined;
    else if (step.kind === 'index' || step.kind === 'extension') return undefined;
  }
  return at;
}

/** FHIRPath `as T` / `ofType(T)` also accept subtypes: canonical is a uri, Age is a Quantity. */
function isA(model: TypeModel, type: string, wanted: string): boolean {
  // Some R4 expressions name FHIR primitives with FHIRPath casing ("value.as(DateTime)").
  if (!model.types.has(wanted) && model.types.has(wanted[0].toLowerCase() + wanted.slice(1))) wanted = wanted[0].toLowerCase() + wanted.slice(1);
  for (let current: string | undefined = type; current; current = model.types.get(current)?.baseType) {
    if (current === wanted) return true;
  }
  return false;
}

/** Hands the typed values a path yields from one node to `out`. */
type Sink = (value: any, out: NodeVisitor) => void;

export interface StaticPosition {
  owner: string;
  path: string;
  type: string;
  system?: string;
}

const noop: Sink = () => undefined;

/**
 * Compiles path steps into nested closures. Element lookups (including which JSON property each
 * choice type uses) are resolved here, once, so extraction on the write path only reads
 * properties. Returns undefined where the type is only known at run time (nested resources).
 */
export function compileSteps(model: TypeModel, steps: PathStep[], index: number, at: StaticPosition): Sink | undefined {
  if (index === steps.length) {
    const { type, system } = at;
    return (value, out) => out.visit(value, type, system);
  }
  const step = steps[index];
  switch (step.kind) {
    case 'as':
      return isA(model, at.type, step.type) ? compileSteps(model, steps, index + 1, at) : noop;
    case 'resolveIs': {
      const next = compileSteps(model, steps, index + 1, at);
      if (!next) return undefined;
      return (value, out) => {
        if (referenceTargetType(value) === step.type) next(value, out);
      };
    }
    case 'whereEquals': {
      const next = compileSteps(model, steps, index + 1, at);
      if (!next) return undefined;
      return (value, out) => {
        if (value?.[step.field] === step.value) next(value, out);
      };
    }
    case 'hasExtension': {
      const next = compileSteps(model, steps, index + 1, at);
      if (!next) return undefined;
      return (value, out) => {
        if ((value?.extension ?? []).some((ext: any) => ext?.url === step.url)) next(value, out);
      };
    }
    case 'extension': {
      const child = compileChild(model, 'extension', steps, index + 1, at, (item) => item?.url === step.url);
      return child;
    }
    case 'child':
      return compileChild(model, step.name, steps, index + 1, at);
    case 'index':
      return undefined;
  }
}

function compileChild(model: TypeModel, name: string, steps: PathStep[], nextIndex: number, at: StaticPosition, filter?: (item: any) => boolean): Sink | undefined {
  const element = model.childrenOf(at.owner, at.path)?.get(name);
  if (!element) return noop;
  // A following `as X` selects one choice type statically.
  const wanted = steps[nextIndex]?.kind === 'as' ? (steps[nextIndex] as { type: string }).type : undefined;
  const types = element.isChoice ? element.types.filter((t) => !wanted || isA(model, t.code, wanted)) : element.types.slice(0, 1);
  if (element.types.length === 0 && element.contentReference === undefined) return noop;
  const branches: Array<{ property: string; sink: Sink }> = [];
  for (const type of element.isChoice ? types : [types[0] ?? { code: 'BackboneElement' }]) {
    const code = type.code;
    if (code === 'Resource') return undefined;
    const nested = element.contentReference !== undefined || code === 'BackboneElement' || code === 'Element';
    const next: StaticPosition = nested
      ? { owner: at.owner, path: element.contentReference?.replace(/^#/, '') ?? element.path, type: 'BackboneElement' }
      : { owner: code, path: code, type: code, system: code === 'code' ? impliedSystem(element.definition.binding?.valueSet) : undefined };
    const skipAs = wanted !== undefined && (element.isChoice || isA(model, code, wanted)) ? 1 : 0;
    if (wanted !== undefined && !element.isChoice && !isA(model, code, wanted)) return noop;
    const sink = compileSteps(model, steps, nextIndex + skipAs, next);
    if (!sink) return undefined;
    branches.push({ property: element.isChoice ? name + code[0].toUpperCase() + code.slice(1) : name, sink });
  }
  if (branches.length === 0) return noop;
  const visit = (raw: any, sink: Sink, out: NodeVisitor) => {
    if (Array.isArray(raw)) {
      for (const item of raw) if (item !== null && item !== undefined && (!filter || filter(item))) sink(item, out);
    } else if (raw !== null && (!filter || filter(raw))) sink(raw, out);
  };
  if (branches.length === 1) {
    const [{ property, sink }] = branches;
    return (value, out) => {
      if (value === null || typeof value !== 'object') return;
      const raw = value[property];
      if (raw !== undefined) visit(raw, sink, out);
    };
  }
  return (value, out) => {
    if (value === null || typeof value !== 'object') return;
    for (const { property, sink } of branches) {
      const raw = value[property];
      if (raw !== undefined) visit(raw, sink, out);
    }
  };
}

interface Cursor {
  value: any;
  /** Type definition that owns `path` (the resource type for backbone elements). */
  owner: string;
  path: string;
  type: string;
}

function walk(model: TypeModel, resourceType: string, expression: PathExpression, resource: Record<string, any>): TypedNode[] {
  // Generic walk, for the few expressions the compiler leaves to run time (indexes, nested resources).
  let cursors: Cursor[] = [{ value: resource, owner: resourceType, path: resourceType, type: resourceType }];
  for (const step of expression.steps) {
    cursors = applyStep(model, step, cursors);
    if (cursors.length === 0) return [];
  }
  return cursors.map((cursor) => ({ value: cursor.value, type: cursor.type }));
}

function applyStep(model: TypeModel, step: PathStep, cursors: Cursor[]): Cursor[] {
  switch (step.kind) {
    case 'child':
      return cursors.flatMap((cursor) => children(model, cursor, step.name));
    case 'as':
      return cursors.filter((cursor) => isA(model, cursor.type, step.type));
    case 'resolveIs':
      return cursors.filter((cursor) => referenceTargetType(cursor.value) === step.type);
    case 'whereEquals':
      return cursors.filter((cursor) => cursor.value?.[step.field] === step.value);
    case 'hasExtension':
      return cursors.filter((cursor) => (cursor.value?.extension ?? []).some((ext: any) => ext?.url === step.url));
    case 'extension':
      return cursors
        .flatMap((cursor) => children(model, cursor, 'extension'))
        .filter((cursor) => cursor.value?.url === step.url);
    case 'index':
      return cursors[step.index] ? [cursors[step.index]] : [];
  }
}

function children(model: TypeModel, cursor: Cursor, name: string): Cursor[] {
  const value = cursor.value;
  if (value === null || typeof value !== 'object') return [];
  const element = model.childrenOf(cursor.owner, cursor.path)?.get(name);
  if (!element) return [];
  let raw: any;
  let typeCode: string;
  if (element.isChoice) {
    const match = element.types.find((type) => value[name + type.code[0].toUpperCase() + type.code.slice(1)] !== undefined);
    if (!match) return [];
    typeCode = match.code;
    raw = value[name + typeCode[0].toUpperCase() + typeCode.slice(1)];
  } else {
    raw = value[name];
    if (raw === undefined) return [];
    typeCode = element.types[0]?.code ?? 'BackboneElement';
  }
  // Backbone elements (and contentReference re-use) keep walking the owning type's paths.
  const nested = element.contentReference !== undefined || typeCode === 'BackboneElement' || typeCode === 'Element';
  const owner = nested ? cursor.owner : typeCode;
  const path = nested ? (element.contentReference?.replace(/^#/, '') ?? element.path) : typeCode;
  const type = nested ? 'BackboneElement' : typeCode;
  // Contained or nested resources are typed by their own resourceType.
  const items = Array.isArray(raw) ? raw : [raw];
  const out: Cursor[] = [];
  for (const item of items) {
    if (item === null || item === undefined) continue;
    if (type === 'Resource' && typeof item === 'object' && typeof item.resourceType === 'string') {
      out.push({ value: item, owner: item.resourceType, path: item.resourceType, type: item.resourceType });
    } else out.push({ value: item, owner, path, type });
  }
  return out;
}

/** The resource type a Reference points to, from its literal reference or its `type`. */
export function referenceTargetType(reference: any): string | undefined {
  if (!reference || typeof reference !== 'object') return undefined;
  if (typeof reference.reference === 'string') {
    const match = /(?:^|\/)([A-Z][A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}(?:\/_history\/[^/]+)?$/.exec(reference.reference);
    if (match) return match[1];
  }
  return typeof reference.type === 'string' ? reference.type : undefined;
}

function fhirpathExtractor(source: string): (resource: Record<string, any>) => TypedNode[] {
  const evaluate = fhirpath.compile(source, r4Model as any);
  return (resource) => {
    let results: any[];
    try {
      results = evaluate(withPlainNumbers(resource), {}, { resolveInternalTypes: false } as any) as any[];
    } catch {
      return [];
    }
    return results.map((result: any) => {
      if (result && typeof result === 'object' && 'data' in result) {
        return { value: result.data, type: result.fhirNodeDataType ?? guessType(result.data) };
      }
      return { value: result, type: guessType(result) };
    });
  };
}

function guessType(value: any): string {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return 'decimal';
  if (typeof value === 'string') return 'string';
  if (value && typeof value === 'object') {
    if (typeof value.resourceType === 'string') return value.resourceType;
    if ('reference' in value || 'identifier' in value) return 'Reference';
    if ('coding' in value || 'text' in value) return 'CodeableConcept';
    if ('system' in value && 'code' in value) return 'Coding';
  }
  return 'Element';
}
