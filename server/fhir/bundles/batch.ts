import type { InteractionContext } from '../context.ts';
import { bundleJson } from '../bundle-json.ts';
import type { FhirRequest } from '../request.ts';
import { route } from '../router.ts';
import { entryFromError, entryFromResponse } from './entry-response.ts';
import { entryRequest, processingRank, type BundleEntry } from './entry-request.ts';
import { ReferenceRewriter } from './reference-rewrite.ts';

/**
 * A batch: every entry is its own interaction (own transaction, own authorization check), in
 * the spec's processing order; a failing entry gets its status and OperationOutcome and the
 * others go on. Entries must not depend on each other, so only conditional references resolve.
 */
export async function processBatch(ctx: InteractionContext, bundle: Record<string, any>, request: FhirRequest): Promise<string> {
  const { config } = ctx.services;
  const entries: BundleEntry[] = bundle.entry ?? [];
  const responses: Array<ReturnType<typeof entryFromResponse> | ReturnType<typeof entryFromError>> = new Array(entries.length);
  const order = entries.map((entry, index) => ({ entry, index, rank: processingRank(String(entry?.request?.method ?? '').toUpperCase()) }));
  order.sort((a, b) => a.rank - b.rank || a.index - b.index);
  const rewriter = new ReferenceRewriter(ctx, new Map());
  for (const { entry, index } of order) {
    try {
      const entryReq = entryRequest(entry, index, config.BASE_URL, request.headers.prefer ?? 'return=minimal');
      if (entry.resource && typeof entry.resource === 'object') await rewriter.rewrite(entry.resource, `Bundle.entry[${index}]`);
      responses[index] = entryFromResponse(await route(ctx, entryReq), config.BASE_URL);
    } catch (error) {
      if (!(error instanceof Error) || !('status' in error)) ctx.services.log.error({ err: error, entry: index }, 'batch entry failed');
      responses[index] = entryFromError(error);
    }
  }
  return bundleJson('batch-response', responses);
}
