import { definitionsOfType, type FhirJson } from './definition-package.ts';

/** The codes of a value set, per code system. */
export interface Expansion {
  /** Code system URL → codes from it. */
  bySystem: Map<string, Set<string>>;
  /** Every code regardless of system, for `code` elements whose system is implied. */
  codes: Set<string>;
}

let valueSets: Map<string, FhirJson> | undefined;
let codeSystems: Map<string, FhirJson> | undefined;
const expansions = new Map<string, Expansion | null>();

function byUrl(resources: FhirJson[]): Map<string, FhirJson> {
  const map = new Map<string, FhirJson>();
  for (const resource of resources) if (typeof resource.url === 'string') map.set(resource.url, resource);
  return map;
}

function canonicalUrl(url: string): string {
  const bar = url.indexOf('|');
  return bar < 0 ? url : url.slice(0, bar);
}

/** Thrown inside an expansion that needs something the package cannot give (external code system, unknown filter). */
class NotExpandable extends Error {}

/**
 * Expansion of a value set from the definitions package, or undefined when it cannot be expanded
 * locally (it draws on SNOMED CT, LOINC, UCUM or another code system the package does not hold in
 * full, or uses a filter we do not evaluate). Callers skip such bindings silently.
 */
export function expandValueSet(url: string): Expansion | undefined {
  const key = canonicalUrl(url);
  let expansion = expansions.get(key);
  if (expansion === undefined) {
    try {
      expansion = expand(key, new Set());
    } catch (error) {
      if (!(error instanceof NotExpandable)) throw error;
      expansion = null;
    }
    // An empty expansion means the filters matched nothing here; enforcing it would reject every code.
    if (expansion && expansion.codes.size === 0) expansion = null;
    expansions.set(key, expansion);
  }
  return expansion ?? undefined;
}

function expand(url: string, visiting: Set<string>): Expansion {
  valueSets ??= byUrl(definitionsOfType('ValueSet'));
  const valueSet = valueSets.get(url);
  if (!valueSet?.compose || visiting.has(url)) throw new NotExpandable(url);
  visiting.add(url);
  const bySystem = new Map<string, Set<string>>();
  for (const include of valueSet.compose.include ?? []) {
    for (const [system, codes] of selectCodes(include, visiting)) {
      let target = bySystem.get(system);
      if (!target) bySystem.set(system, (target = new Set()));
      for (const code of codes) target.add(code);
    }
  }
  for (const exclude of valueSet.compose.exclude ?? []) {
    for (const [system, codes] of selectCodes(exclude, visiting)) {
      const target = bySystem.get(system);
      if (target) for (const code of codes) target.delete(code);
    }
  }
  visiting.delete(url);
  const codes = new Set<string>();
  for (const systemCodes of bySystem.values()) for (const code of systemCodes) codes.add(code);
  return { bySystem, codes };
}

/** The codes one include/exclude entry selects, per system. */
function selectCodes(entry: FhirJson, visiting: Set<string>): Map<string, Set<string>> {
  let selected: Map<string, Set<string>> | undefined;
  if (entry.system) {
    selected = new Map([[entry.system as string, systemCodes(entry)]]);
  }
  // Several value sets in one entry (and a system next to them) intersect.
  for (const imported of entry.valueSet ?? []) {
    const other = expand(canonicalUrl(imported), visiting).bySystem;
    if (!selected) {
      selected = new Map([...other].map(([system, codes]) => [system, new Set(codes)]));
      continue;
    }
    for (const [system, codes] of selected) {
      const keep = other.get(system);
      for (const code of codes) if (!keep?.has(code)) codes.delete(code);
    }
  }
  return selected ?? new Map();
}

function systemCodes(entry: FhirJson): Set<string> {
  if (entry.concept) return new Set(entry.concept.map((concept: FhirJson) => concept.code as string));
  codeSystems ??= byUrl(definitionsOfType('CodeSystem'));
  const codeSystem = codeSystems.get(entry.system);
  if (!codeSystem || codeSystem.content !== 'complete') throw new NotExpandable(entry.system);
  const all = flatten(codeSystem.concept ?? []);
  const declared = new Set<string>((codeSystem.property ?? []).map((p: FhirJson) => p.code));
  let codes = new Set(all.map((node) => node.code));
  for (const filter of entry.filter ?? []) codes = applyFilter(filter, all, codes, declared);
  return codes;
}

interface ConceptNode {
  code: string;
  concept: FhirJson;
  /** Codes of the concept's descendants (nested concepts in the code system). */
  descendants: string[];
}

function flatten(concepts: FhirJson[]): ConceptNode[] {
  const out: ConceptNode[] = [];
  const visit = (concept: FhirJson): string[] => {
    const node: ConceptNode = { code: concept.code, concept, descendants: [] };
    out.push(node);
    for (const child of concept.concept ?? []) {
      const below = visit(child);
      node.descendants.push(child.code, ...below);
    }
    return node.descendants;
  };
  for (const concept of concepts) visit(concept);
  return out;
}

function applyFilter(filter: FhirJson, all: ConceptNode[], codes: Set<string>, declared: Set<string>): Set<string> {
  const { property, op, value } = filter as { property: string; op: string; value: string };
  const keep = new Set<string>();
  if (property === 'concept' && (op === 'is-a' || op === 'descendent-of' || op === 'is-not-a')) {
    const root = all.find((node) => node.code === value);
    if (!root) throw new NotExpandable(`concept ${value}`);
    const family = new Set(root.descendants);
    if (op === 'is-a') family.add(root.code);
    if (op === 'is-not-a') family.add(root.code);
    for (const code of codes) if ((op === 'is-not-a') !== family.has(code)) keep.add(code);
    return keep;
  }
  // Only properties the code system declares can be matched; others (parent, child...) have other meanings.
  if (op === '=' && declared.has(property)) {
    for (const node of all) {
      if (!codes.has(node.code)) continue;
      const match = (node.concept.property ?? []).some(
        (p: FhirJson) => p.code === property && String(p.valueCode ?? p.valueString ?? p.valueBoolean ?? p.valueInteger ?? p.valueCoding?.code) === value,
      );
      if (match) keep.add(node.code);
    }
    return keep;
  }
  if (property === 'code' && op === 'regex') {
    const regex = new RegExp(`^(?:${value})$`);
    for (const code of codes) if (regex.test(code)) keep.add(code);
    return keep;
  }
  throw new NotExpandable(`filter ${property} ${op}`);
}
