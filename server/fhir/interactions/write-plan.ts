import type { CommittedWrite, WriteOperation } from '../../store/repository.ts';
import { writeResources, type InteractionContext } from '../context.ts';
import type { FhirResponse } from '../request.ts';

/**
 * What a write interaction will do, decided before anything is written: the operations for
 * the one write path and how to answer once they are committed. Single interactions run one
 * plan; a transaction bundle plans every entry, then commits all operations in one call.
 */
export interface WritePlan {
  operations: WriteOperation[];
  respond(results: CommittedWrite[]): FhirResponse;
}

export async function runPlan(ctx: InteractionContext, plan: WritePlan): Promise<FhirResponse> {
  const results = plan.operations.length > 0 ? await writeResources(ctx, plan.operations) : [];
  return plan.respond(results);
}
