import { definitionsOfType, type FhirJson } from '../conformance/definition-package.ts';

interface Hierarchy {
  parents: Map<string, Set<string>>;
  children: Map<string, Set<string>>;
  codes: Set<string>;
  complete: boolean;
}

let hierarchies: Map<string, Hierarchy> | undefined;

/**
 * Is-a hierarchies of the code systems in the R4 definitions: nested concepts, plus the
 * `parent`/`subsumedBy`/`child` properties some code systems use instead. Backs token
 * :below/:above (subsumption) for the code systems the server knows.
 */
function load(): Map<string, Hierarchy> {
  if (hierarchies) return hierarchies;
  hierarchies = new Map();
  for (const codeSystem of definitionsOfType('CodeSystem')) {
    if (typeof codeSystem.url !== 'string') continue;
    const hierarchy: Hierarchy = { parents: new Map(), children: new Map(), codes: new Set(), complete: codeSystem.content === 'complete' };
    const link = (parent: string, child: string) => {
      if (!hierarchy.children.has(parent)) hierarchy.children.set(parent, new Set());
      if (!hierarchy.parents.has(child)) hierarchy.parents.set(child, new Set());
      hierarchy.children.get(parent)!.add(child);
      hierarchy.parents.get(child)!.add(parent);
    };
    const visit = (concepts: FhirJson[] | undefined, parent?: string) => {
      for (const concept of concepts ?? []) {
        if (typeof concept.code !== 'string') continue;
        hierarchy.codes.add(concept.code);
        if (parent) link(parent, concept.code);
        for (const property of concept.property ?? []) {
          if ((property.code === 'parent' || property.code === 'subsumedBy') && typeof property.valueCode === 'string') link(property.valueCode, concept.code);
          if (property.code === 'child' && typeof property.valueCode === 'string') link(concept.code, property.valueCode);
        }
        visit(concept.concept, concept.code);
      }
    };
    visit(codeSystem.concept);
    hierarchies.set(codeSystem.url, hierarchy);
  }
  return hierarchies;
}

function closure(start: string, edges: Map<string, Set<string>>): Set<string> {
  const out = new Set([start]);
  const queue = [start];
  while (queue.length) for (const next of edges.get(queue.pop()!) ?? []) if (!out.has(next)) out.add(next), queue.push(next);
  return out;
}

export function isKnownCodeSystem(system: string): boolean {
  return load().has(system);
}

/** The code and every code it subsumes; undefined when the code system is not known. */
export function descendantsOf(system: string, code: string): Set<string> | undefined {
  const hierarchy = load().get(system);
  return hierarchy ? closure(code, hierarchy.children) : undefined;
}

/** The code and every code that subsumes it; undefined when the code system is not known. */
export function ancestorsOf(system: string, code: string): Set<string> | undefined {
  const hierarchy = load().get(system);
  return hierarchy ? closure(code, hierarchy.parents) : undefined;
}

/** Every code of a code system the package holds completely (for value sets that include it whole). */
export function allCodesOf(system: string): Set<string> | undefined {
  const hierarchy = load().get(system);
  return hierarchy?.complete ? hierarchy.codes : undefined;
}
