import type { InteractionContext } from '../context.ts';
import { badRequest } from '../outcome.ts';
import type { FhirRequest, FhirResponse } from '../request.ts';
import { processBatch } from './batch.ts';
import { processTransaction } from './transaction.ts';

/** POST [base] with a batch or transaction Bundle. */
export async function bundleInteraction(ctx: InteractionContext, request: FhirRequest): Promise<FhirResponse> {
  const bundle = request.body as Record<string, any> | undefined;
  if (!bundle || typeof bundle !== 'object' || bundle.resourceType !== 'Bundle') {
    throw badRequest('POST to the base takes a Bundle of type batch or transaction', undefined, 'structure');
  }
  if (bundle.type !== 'batch' && bundle.type !== 'transaction') {
    throw badRequest(`Bundle.type must be batch or transaction, not '${String(bundle.type)}'`, ['Bundle.type'], 'value');
  }
  if (bundle.entry !== undefined && !Array.isArray(bundle.entry)) throw badRequest('Bundle.entry must be an array', ['Bundle.entry'], 'structure');
  if (ctx.tx) throw badRequest('A bundle cannot be nested inside a transaction', undefined, 'not-supported');
  const json = bundle.type === 'batch' ? await processBatch(ctx, bundle, request) : await processTransaction(ctx, bundle, request);
  return { status: 200, body: { json } };
}
