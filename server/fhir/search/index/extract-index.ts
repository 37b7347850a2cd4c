import { RESOURCE_COLUMN_PARAMS, type SearchParamDefinition } from '../definitions/search-parameters.ts';
import { addComposite } from './composite-rows.ts';
import { emptyIndexRows, type IndexRows } from './index-rows.ts';
import { addObservationRows } from './observation-rows.ts';
import { addNode, unwrapExtension } from './value-rows.ts';

/** Converts a quantity to UCUM canonical units (so 99.5 [degF] and 37.5 Cel compare). */
export type QuantityCanonicalizer = (value: number, code: string) => { value: number; code: string } | undefined;

export interface IndexContext {
  baseUrl: string;
  pidOf(param: SearchParamDefinition): number;
  canonicalize?: QuantityCanonicalizer;
}

export function extractIndexRows(resource: Record<string, any>, params: Iterable<SearchParamDefinition>, context: IndexContext): IndexRows {
  const rows = emptyIndexRows();
  for (const param of params) {
    if (param.extractComposite) {
      addComposite(rows, param, resource, context);
      continue;
    }
    if (!param.extract || RESOURCE_COLUMN_PARAMS.has(param.code)) continue;
    const nodes = param.extract(resource);
    if (nodes.length === 0) continue;
    const pid = context.pidOf(param);
    for (const node of nodes) addNode(rows, param, pid, unwrapExtension(node), context);
  }
  if (resource.resourceType === 'Observation') addObservationRows(rows, resource, context);
  return rows;
}
