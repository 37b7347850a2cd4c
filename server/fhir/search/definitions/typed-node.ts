/** A value found in a resource together with its FHIR type ("Coding", "dateTime", "Reference", ...). */
export interface TypedNode {
  value: any;
  type: string;
  /** For `code` elements bound to a value set drawn from one code system: that system. */
  system?: string;
}

/** Receives the values a path yields, one call each, without a node object or a list per value. */
export interface NodeVisitor {
  visit(value: any, type: string, system: string | undefined): void;
}

/**
 * The values a search parameter's expression yields from a resource: called, as a list of nodes;
 * through `each`, one visitor call per value. Index extraction runs every parameter of a type on
 * every write and uses `each`: the nodes and lists were a large share of a device reading's
 * allocations.
 */
export interface Extractor {
  (resource: Record<string, any>): TypedNode[];
  each(resource: Record<string, any>, visitor: NodeVisitor): void;
}

/** Collects visited values as nodes. */
export class NodeList implements NodeVisitor {
  readonly nodes: TypedNode[] = [];

  visit(value: any, type: string, system: string | undefined): void {
    this.nodes.push(system === undefined ? { value, type } : { value, type, system });
  }
}

/** An Extractor from its visiting form. */
export function extractorOf(each: (resource: Record<string, any>, visitor: NodeVisitor) => void): Extractor {
  const extract = ((resource: Record<string, any>) => {
    const list = new NodeList();
    each(resource, list);
    return list.nodes;
  }) as Extractor;
  extract.each = each;
  return extract;
}

/** An Extractor from its list-returning form (the paths compiled at run time, fhirpath.js). */
export function listExtractor(list: (resource: Record<string, any>) => TypedNode[]): Extractor {
  const extract = ((resource: Record<string, any>) => list(resource)) as Extractor;
  extract.each = (resource, visitor) => {
    for (const node of list(resource)) visitor.visit(node.value, node.type, node.system);
  };
  return extract;
}
