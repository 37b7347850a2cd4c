import type { SearchParamDefinition } from '../definitions/search-parameters.ts';
import type { TypedNode } from '../definitions/typed-node.ts';
import type { IndexContext } from './extract-index.ts';
import { emptyIndexRows, type IndexRows } from './index-rows.ts';
import { addNode, unwrapExtension } from './value-rows.ts';

/** Values of one composite component, flattened to what its column group stores. */
function componentAtoms(type: string, nodes: TypedNode[], context: IndexContext): IndexRows {
  const scratch = emptyIndexRows();
  const param = { type } as SearchParamDefinition;
  for (const node of nodes) addNode(scratch, param, 0, unwrapExtension(node), context);
  return scratch;
}

type CompositeRow = IndexRows['composite'][number];

export function addComposite(rows: IndexRows, param: SearchParamDefinition, resource: Record<string, any>, context: IndexContext): void {
  const elements = param.extractComposite!(resource);
  if (elements.length === 0) return;
  const pid = context.pidOf(param);
  const types = param.componentTypes!;
  for (const components of elements) {
    // Each component contributes alternatives; a row pairs one value of every component.
    let partial: CompositeRow[] = [[pid, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null]];
    components.forEach((nodes, index) => {
      const atoms = componentAtoms(types[index], nodes, context);
      const next: CompositeRow[] = [];
      for (const row of partial) {
        for (const fill of compositeFills(types[index], index, atoms)) {
          const copy = [...row] as CompositeRow;
          for (const [column, value] of fill) copy[column] = value;
          next.push(copy);
        }
      }
      partial = next;
    });
    rows.composite.push(...partial);
  }
}

/** Column assignments (index in the composite row → value) for each value of one component. */
function compositeFills(type: string, index: number, atoms: IndexRows): Array<Array<[number, string | number | null]>> {
  if (index === 0) {
    if (type === 'reference') return atoms.reference.filter((r) => r[2]).map((r) => [[1, r[1]], [2, r[2]]]);
    return atoms.token.filter((t) => t[2] !== null).map((t) => [[1, t[1]], [2, t[2]]]);
  }
  switch (type) {
    case 'token':
      return atoms.token.filter((t) => t[2] !== null).map((t) => [[3, t[1]], [4, t[2]]]);
    case 'quantity':
      return atoms.quantity.map((q) => [[5, q[4]], [6, q[1]], [7, q[2]], [8, q[3]], [9, q[7]], [10, q[8]]]);
    case 'number':
      return atoms.number.map((n) => [[index === 1 ? 11 : 12, n[1]]]);
    case 'string':
      return atoms.string.map((v) => [[13, v[1]]]);
    case 'date':
      return atoms.date.map((d) => [[14, d[1]], [15, d[2]]]);
    default:
      return [];
  }
}

