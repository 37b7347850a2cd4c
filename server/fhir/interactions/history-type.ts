import type { InteractionContext } from '../context.ts';
import type { FhirRequest, FhirResponse } from '../request.ts';
import { historyResponse } from './history-bundle.ts';

/** GET [type]/_history */
export function historyTypeInteraction(ctx: InteractionContext, request: FhirRequest, type: string): Promise<FhirResponse> {
  return historyResponse(ctx, request, { type });
}
