import { RESOURCE_COLUMN_PARAMS, type SearchParamDefinition } from '../definitions/search-parameters.ts';
import { addComposite } from './composite-rows.ts';
import { emptyIndexRows, type IndexRows } from './index-rows.ts';
import { addObservationRows } from './observation-rows.ts';
import type { NodeVisitor } from '../definitions/typed-node.ts';
import { addValue } from './value-rows.ts';

/** Converts a quantity to UCUM canonical units (so 99.5 [degF] and 37.5 Cel compare). */
export type QuantityCanonicalizer = (value: number, code: string) => { value: number; code: string } | undefined;

export interface IndexContext {
  baseUrl: string;
  pidOf(param: SearchParamDefinition): number;
  canonicalize?: QuantityCanonicalizer;
}

/** Turns each value a parameter's extractor visits into index rows of that parameter. */
class IndexSink implements NodeVisitor {
  param!: SearchParamDefinition;
  pid = 0;

  constructor(
    readonly rows: IndexRows,
    private readonly context: IndexContext,
  ) {}

  visit(value: any, type: string, system: string | undefined): void {
    // The parameter's id is looked up for its first value only: most parameters find none.
    if (this.pid === 0) this.pid = this.context.pidOf(this.param);
    addValue(this.rows, this.param, this.pid, value, type, system, this.context);
  }
}

export function extractIndexRows(resource: Record<string, any>, params: Iterable<SearchParamDefinition>, context: IndexContext): IndexRows {
  const sink = new IndexSink(emptyIndexRows(), context);
  for (const param of params) {
    if (param.extractComposite) {
      addComposite(sink.rows, param, resource, context);
      continue;
    }
    if (!param.extract || RESOURCE_COLUMN_PARAMS.has(param.code)) continue;
    sink.param = param;
    sink.pid = 0;
    param.extract.each(resource, sink);
  }
  if (resource.resourceType === 'Observation') addObservationRows(sink.rows, resource, context);
  return sink.rows;
}
