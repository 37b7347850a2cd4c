import type { SearchParamDefinition, SearchParamType } from '../definitions/search-parameters.ts';
import type { TypedNode } from '../definitions/typed-node.ts';
import type { IndexContext } from './extract-index.ts';
import { emptyIndexRows, INDEX_TABLES, type IndexRows } from './index-rows.ts';
import { addValue } from './value-rows.ts';

type CompositeRow = IndexRows['composite'][number];

/**
 * One value of a component as the columns it fills, flattened: [column, value, column, value, …].
 * A composite row pairs one value of every component.
 */
type Fill = Array<number | string | null>;

/**
 * Atoms of one component are extracted into this scratch, emptied before each use: composites run
 * for every write of a type that has them (Observation has eight), and a fresh set of lists per
 * component was the largest allocation of device ingestion's index extraction.
 */
const scratch = emptyIndexRows();

export function addComposite(rows: IndexRows, param: SearchParamDefinition, resource: Record<string, any>, context: IndexContext): void {
  const elements = param.extractComposite!(resource);
  if (elements.length === 0) return;
  const pid = context.pidOf(param);
  const types = param.componentTypes!;
  for (const components of elements) {
    const fills: Fill[][] = new Array(components.length);
    let empty = false;
    for (let index = 0; index < components.length && !empty; index++) {
      fills[index] = componentFills(types[index], index, components[index], context);
      empty = fills[index].length === 0;
    }
    if (!empty) emitRows(rows, pid, fills);
  }
}

/** Every combination of one fill per component, as rows. */
function emitRows(rows: IndexRows, pid: number, fills: Fill[][]): void {
  const choice = new Array<number>(fills.length).fill(0);
  for (;;) {
    const row: CompositeRow = [pid, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null];
    for (let component = 0; component < fills.length; component++) {
      const fill = fills[component][choice[component]];
      for (let i = 0; i < fill.length; i += 2) (row as unknown[])[fill[i] as number] = fill[i + 1];
    }
    rows.composite.push(row);
    // Next combination, odometer-style; done when the first component rolls over.
    let component = fills.length - 1;
    while (component >= 0 && ++choice[component] === fills[component].length) choice[component--] = 0;
    if (component < 0) return;
  }
}

/** The values of one component, extracted as its parameter type would index them. */
function componentFills(type: SearchParamType, index: number, nodes: TypedNode[], context: IndexContext): Fill[] {
  clearScratch();
  const param = PARAM_OF_TYPE[type];
  if (!param) return [];
  for (const node of nodes) addValue(scratch, param, 0, node.value, node.type, node.system, context);
  const fills: Fill[] = [];
  if (index === 0) {
    if (type === 'reference') for (const r of scratch.reference) r[2] && fills.push([1, r[1], 2, r[2]]);
    else for (const t of scratch.token) t[2] !== null && fills.push([1, t[1], 2, t[2]]);
    return fills;
  }
  switch (type) {
    case 'token':
      for (const t of scratch.token) if (t[2] !== null) fills.push([3, t[1], 4, t[2]]);
      break;
    case 'quantity':
      for (const q of scratch.quantity) fills.push([5, q[4], 6, q[1], 7, q[2], 8, q[3], 9, q[7], 10, q[8]]);
      break;
    case 'number':
      for (const n of scratch.number) fills.push([index === 1 ? 11 : 12, n[1]]);
      break;
    case 'string':
      for (const v of scratch.string) fills.push([13, v[1]]);
      break;
    case 'date':
      for (const d of scratch.date) fills.push([14, d[1], 15, d[2]]);
      break;
  }
  return fills;
}

const PARAM_OF_TYPE = Object.fromEntries(
  (['token', 'reference', 'quantity', 'number', 'string', 'date', 'uri'] as const).map((type) => [type, { type }]),
) as Partial<Record<SearchParamType, { type: SearchParamType }>>;

function clearScratch(): void {
  for (const table of INDEX_TABLES) scratch[table].length = 0;
}
