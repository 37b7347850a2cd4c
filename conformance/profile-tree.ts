import type { FhirJson } from './definition-package.ts';
import { NATIVE_INVARIANTS } from './invariants.ts';
import { typeModel, type ElementDefinitionInfo } from './type-model.ts';

/**
 * A profile's snapshot as a tree of the elements that constrain something beyond the base
 * definition. Elements that only repeat the base (most of a snapshot) are dropped, so checking an
 * instance visits just the handful of places the profile actually restricts.
 */
export interface ProfileNode {
  /** ElementDefinition.id, e.g. "Observation.component:SystolicBP.code". */
  id: string;
  /** JSON name of the element without [x]. */
  name: string;
  sliceName?: string;
  element: FhirJson;
  /** Base (type model) element this one constrains; undefined for the root. */
  base?: ElementDefinitionInfo;
  min: number;
  max: number;
  baseMin: number;
  baseMax: number;
  /** Profile's type codes for this element (a choice may be narrowed). */
  types: string[];
  /** Where the children of this element live in the type model (for navigating the instance). */
  childContext?: { typeName: string; path: string };
  fixed?: unknown;
  pattern?: unknown;
  /** Required binding the profile adds or changes. */
  binding?: FhirJson;
  /** Reference target profiles, when the profile narrows them. */
  targetProfiles?: string[];
  /** Constraints the profile adds (not in the base element or its type). */
  constraints: FhirJson[];
  slicing?: { discriminators: { type: string; path: string }[]; rules: string };
  children: Map<string, ProfileNode>;
  slices: ProfileNode[];
  /** Anything to check here or below. */
  relevant: boolean;
}

/** A profile feature the validator does not implement: such profiles are not offered as known. */
export class UnsupportedProfile extends Error {}

const FHIR_TYPE_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type';

function typeCodes(element: FhirJson): string[] {
  return (element.type ?? []).map((type: FhirJson) => {
    if (!String(type.code).startsWith('http://hl7.org/fhirpath/System.')) return type.code as string;
    return (type.extension?.find((ext: FhirJson) => ext.url === FHIR_TYPE_EXTENSION)?.valueUrl as string | undefined) ?? 'string';
  });
}

function parseMax(max: unknown): number {
  return max === '*' ? Infinity : Number(max ?? 1);
}

function withoutVersion(url: unknown): string | undefined {
  return typeof url === 'string' ? url.replace(/\|.*$/, '') : undefined;
}

/** The fixed[x] or pattern[x] value an element declares, if any. */
function prefixed(element: FhirJson, prefix: 'fixed' | 'pattern'): unknown {
  for (const key of Object.keys(element)) if (key.startsWith(prefix) && /^[A-Z]/.test(key.slice(prefix.length))) return element[key];
  return undefined;
}

function node(element: FhirJson, base: ElementDefinitionInfo | undefined, name: string): ProfileNode {
  const types = typeCodes(element);
  return {
    id: element.id,
    name,
    sliceName: element.sliceName,
    element,
    base,
    min: element.min ?? 0,
    max: parseMax(element.max),
    baseMin: element.base?.min ?? base?.min ?? 0,
    baseMax: element.base ? parseMax(element.base.max) : (base?.max ?? Infinity),
    types,
    fixed: prefixed(element, 'fixed'),
    pattern: prefixed(element, 'pattern'),
    constraints: [],
    slicing: element.slicing
      ? { discriminators: element.slicing.discriminator ?? [], rules: element.slicing.rules ?? 'open' }
      : undefined,
    children: new Map(),
    slices: [],
    relevant: false,
  };
}

/** Where the children of an element live in the type model, given its base element and profiled types. */
function childContextOf(base: ElementDefinitionInfo, ownerType: string, types: string[]): { typeName: string; path: string } | undefined {
  if (base.contentReference) return { typeName: ownerType, path: base.contentReference.replace(/^#/, '') };
  const codes = types.length > 0 ? types : base.types.map((t) => t.code);
  if (codes.length !== 1) return undefined;
  const code = codes[0];
  if (code === 'BackboneElement' || code === 'Element') return { typeName: ownerType, path: base.path };
  return typeModel().types.has(code) && !typeModel().isPrimitive(code) ? { typeName: code, path: code } : undefined;
}

/** Build the pruned tree of a profile snapshot. */
export function buildProfileTree(structureDefinition: FhirJson): ProfileNode {
  const elements: FhirJson[] = structureDefinition.snapshot?.element ?? [];
  if (elements.length === 0) throw new UnsupportedProfile('no snapshot');
  const type: string = structureDefinition.type;
  const root = node(elements[0], undefined, type);
  root.childContext = { typeName: type, path: type };
  const byId = new Map<string, ProfileNode>([[root.id, root]]);
  // Elements below an element the profile does not resolve to a single type (e.g. an unrestricted choice).
  const skipped = new Set<string>();

  for (const element of elements.slice(1)) {
    const id: string = element.id;
    const lastDot = id.lastIndexOf('.');
    const parentId = id.slice(0, lastDot);
    const segment = id.slice(lastDot + 1);
    const colon = segment.indexOf(':');
    const rawName = colon < 0 ? segment : segment.slice(0, colon);
    const name = rawName.endsWith('[x]') ? rawName.slice(0, -3) : rawName;
    if (colon >= 0 && segment.slice(colon + 1).includes('/')) throw new UnsupportedProfile(`re-slicing at ${id}`);
    const parent = byId.get(parentId);
    if (!parent?.childContext) {
      if (!parent && !skipped.has(parentId)) throw new UnsupportedProfile(`no parent for ${id}`);
      // Only elements that add nothing may be passed over (e.g. the id/extension of an open choice).
      const restricts = prefixed(element, 'fixed') !== undefined || prefixed(element, 'pattern') !== undefined
        || (element.min ?? 0) > (element.base?.min ?? 0);
      if (restricts) throw new UnsupportedProfile(`constraint below an element of several types at ${id}`);
      skipped.add(id);
      continue;
    }
    const base = typeModel().childrenOf(parent.childContext.typeName, parent.childContext.path)?.get(name);
    if (!base) throw new UnsupportedProfile(`unknown element ${id}`);
    rejectUnsupported(element, base);
    const current = node(element, base, name);
    current.childContext = childContextOf(base, parent.childContext.typeName, current.types);
    byId.set(id, current);
    if (colon >= 0) {
      const sliced = byId.get(`${parentId}.${rawName}`);
      if (!sliced) throw new UnsupportedProfile(`slice without sliced element at ${id}`);
      sliced.slices.push(current);
    } else {
      parent.children.set(name, current);
    }
  }
  markRelevant(root, type);
  return root;
}

/**
 * Constraints the validator does not enforce make the whole profile unsupported, so that a known
 * profile is always checked completely: value ranges and lengths, ordered slicing, and type
 * profiles beyond those of the base element (the base ones, like SimpleQuantity, are checked).
 */
function rejectUnsupported(element: FhirJson, base: ElementDefinitionInfo): void {
  for (const key of Object.keys(element)) {
    if (key.startsWith('minValue') || key.startsWith('maxValue') || (key === 'maxLength' && element.maxLength !== base.definition.maxLength)) {
      throw new UnsupportedProfile(`${key} at ${element.id}`);
    }
  }
  if (element.slicing?.ordered === true) throw new UnsupportedProfile(`ordered slicing at ${element.id}`);
  for (const type of element.type ?? []) {
    const baseProfiles = base.types.find((t) => t.code === type.code)?.profiles ?? [];
    if (type.code !== 'Extension' && (type.profile ?? []).some((url: string) => !baseProfiles.includes(url))) {
      throw new UnsupportedProfile(`type profile at ${element.id}`);
    }
  }
}

function markRelevant(current: ProfileNode, ownerType: string): boolean {
  const base = current.base;
  const element = current.element;
  let relevant = current.min > current.baseMin || current.max < current.baseMax || current.fixed !== undefined || current.pattern !== undefined;

  const baseBinding = base?.definition.binding;
  const binding = element.binding;
  if (
    binding?.strength === 'required' &&
    (baseBinding?.strength !== 'required' || withoutVersion(baseBinding?.valueSet) !== withoutVersion(binding.valueSet))
  ) {
    current.binding = binding;
    relevant = true;
  }

  const known = new Set<string>((base?.definition.constraint ?? []).map((c: FhirJson) => c.key));
  if (!base) for (const c of typeModel().types.get(ownerType)?.elements.get(ownerType)?.definition.constraint ?? []) known.add(c.key);
  for (const code of current.types) {
    for (const c of typeModel().types.get(code)?.elements.get(code)?.definition.constraint ?? []) known.add(c.key);
  }
  current.constraints = (element.constraint ?? []).filter(
    (c: FhirJson) => !known.has(c.key) && !NATIVE_INVARIANTS.has(c.key) && typeof c.expression === 'string',
  );
  if (current.constraints.length > 0) relevant = true;

  if (base && base.isChoice && current.types.length < base.types.length) relevant = true;
  const referenceType = (element.type ?? []).find((t: FhirJson) => t.code === 'Reference');
  const baseTargets = base?.types.find((t) => t.code === 'Reference')?.targetProfiles ?? [];
  if (referenceType?.targetProfile && !sameSet(referenceType.targetProfile, baseTargets)) {
    current.targetProfiles = referenceType.targetProfile;
    relevant = true;
  }

  for (const child of current.children.values()) if (markRelevant(child, current.childContext?.typeName ?? ownerType)) relevant = true;
  for (const slice of current.slices) {
    markRelevant(slice, current.childContext?.typeName ?? ownerType);
    relevant = true;
  }
  if (current.slicing?.rules === 'closed') relevant = true;
  if (current.slices.length > 0 && !current.slicing) throw new UnsupportedProfile(`slices without slicing at ${current.id}`);
  current.relevant = relevant;
  return relevant;
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((item) => b.includes(item));
}
