import type { InteractionContext } from '../context.ts';
import type { FhirRequest, FhirResponse } from '../request.ts';
import { historyResponse } from './history-bundle.ts';

/** GET /_history: every version of every resource, newest commit first. */
export function historySystemInteraction(ctx: InteractionContext, request: FhirRequest): Promise<FhirResponse> {
  return historyResponse(ctx, request, {});
}
