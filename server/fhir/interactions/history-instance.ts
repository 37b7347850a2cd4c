import { readCurrent } from '../../store/resource-reads.ts';
import { queryable, type InteractionContext } from '../context.ts';
import { notFound } from '../outcome.ts';
import type { FhirRequest, FhirResponse } from '../request.ts';
import { historyResponse } from './history-bundle.ts';

/** GET [type]/[id]/_history */
export async function historyInstanceInteraction(ctx: InteractionContext, request: FhirRequest, type: string, id: string): Promise<FhirResponse> {
  if (!(await readCurrent(queryable(ctx), type, id))) throw notFound(`${type}/${id} is not known`);
  return historyResponse(ctx, request, { type, id });
}
