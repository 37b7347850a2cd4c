import { newResourceId } from '../../store/new-resource-id.ts';
import type { CommittedWrite } from '../../store/repository.ts';
import { asFhirError, type InteractionContext } from '../context.ts';
import { bundleJson } from '../bundle-json.ts';
import { findMatches } from '../interactions/conditional-match.ts';
import { planCreate } from '../interactions/create.ts';
import type { WritePlan } from '../interactions/write-plan.ts';
import { badRequest, FhirError } from '../outcome.ts';
import type { FhirRequest, FhirResponse } from '../request.ts';
import { authorizeRoute, resolveRoute } from '../router.ts';
import { entryFromResponse } from './entry-response.ts';
import { entryRequest, processingRank, type BundleEntry } from './entry-request.ts';
import { ReferenceRewriter } from './reference-rewrite.ts';

/**
 * A transaction: all entries succeed or none does. Inside one database transaction it assigns
 * ids to POST entries, rewrites urn:uuid and conditional references, plans every write entry in
 * the spec's processing order (each passing the authorization seam), commits all writes with a
 * single call to the write path, then answers GET entries so they see the new state.
 */
export async function processTransaction(ctx: InteractionContext, bundle: Record<string, any>, request: FhirRequest): Promise<string> {
  const { config, db, repository } = ctx.services;
  const entries: BundleEntry[] = bundle.entry ?? [];
  const committed: CommittedWrite[] = [];
  const json = await db.transaction(async (tx) => {
    const txCtx: InteractionContext = { ...ctx, tx, committedInTx: committed };
    const requests = entries.map((entry, index) => withLocation(index, () => entryRequest(entry, index, config.BASE_URL, request.headers.prefer ?? 'return=minimal')));
    const fullUrls = new Map<string, string>();
    const assignedIds = new Map<number, string>();
    const seenCriteria = new Map<string, number>();
    /** A later conditional create with the same criteria as an earlier entry resolves to that entry's resource. */
    const duplicateOf = new Map<number, number>();
    for (let index = 0; index < entries.length; index++) {
      const entry = entries[index];
      const req = requests[index];
      const type = req.path.split('/')[0];
      if (req.method === 'POST' && req.path.split('/').length === 1) {
        await withLocationAsync(index, async () => {
          let id: string = newResourceId();
          const criteria = req.headers.ifNoneExist;
          if (criteria) {
            const earlier = seenCriteria.get(`${type}?${criteria}`);
            if (earlier !== undefined) {
              id = assignedIds.get(earlier)!;
              duplicateOf.set(index, earlier);
            } else {
              const matches = await findMatches(txCtx, type, criteria, 2);
              if (matches.length === 1) id = matches[0].id;
              seenCriteria.set(`${type}?${criteria}`, index);
            }
          }
          assignedIds.set(index, id);
          if (entry.fullUrl) fullUrls.set(entry.fullUrl, `${type}/${id}`);
        });
      } else if (entry.fullUrl && (req.method === 'PUT' || req.method === 'PATCH') && !req.path.includes('?') && req.path.split('/').length === 2) {
        fullUrls.set(entry.fullUrl, req.path);
      }
    }
    const rewriter = new ReferenceRewriter(txCtx, fullUrls);
    for (let index = 0; index < entries.length; index++) {
      const resource = entries[index].resource;
      if (resource && typeof resource === 'object') await withLocationAsync(index, () => rewriter.rewrite(resource, `Bundle.entry[${index}]`));
    }

    const order = requests.map((req, index) => ({ req, index, rank: processingRank(req.method) })).sort((a, b) => a.rank - b.rank || a.index - b.index);
    const plans = new Map<number, WritePlan>();
    const written = new Set<string>();
    for (const { req, index } of order.filter((o) => o.rank < 3 && !duplicateOf.has(o.index))) {
      await withLocationAsync(index, async () => {
        const route = resolveRoute(txCtx, req);
        await authorizeRoute(txCtx, route);
        if (!route.plan) throw badRequest(`A transaction entry with ${req.method} must be a create, update, patch or delete`, [`Bundle.entry[${index}].request`], 'not-supported');
        const plan = assignedIds.has(index) ? await planCreate(txCtx, req, route.type!, assignedIds.get(index)) : await route.plan(txCtx, req);
        for (const op of plan.operations) {
          const key = `${op.type}/${op.id}`;
          if (written.has(key)) throw badRequest(`${key} is written by more than one entry of this transaction`, [`Bundle.entry[${index}]`], 'duplicate');
          written.add(key);
        }
        plans.set(index, plan);
      });
    }
    const allOperations = [...plans.values()].flatMap((plan) => plan.operations);
    let results: CommittedWrite[] = [];
    try {
      if (allOperations.length) results = await repository.writeInTransaction(tx, allOperations);
    } catch (error) {
      throw asFhirError(error);
    }
    committed.push(...results);
    const responses: Array<FhirResponse | undefined> = new Array(entries.length);
    let offset = 0;
    for (const [index, plan] of plans) {
      responses[index] = plan.respond(results.slice(offset, offset + plan.operations.length));
      offset += plan.operations.length;
    }
    for (const [index, earlier] of duplicateOf) responses[index] = { ...responses[earlier]!, status: 200 };
    for (const { req, index } of order.filter((o) => o.rank === 3)) {
      responses[index] = await withLocationAsync(index, async () => {
        const route = resolveRoute(txCtx, req);
        const narrow = await authorizeRoute(txCtx, route);
        return route.run(txCtx, req, narrow);
      });
    }
    return bundleJson('transaction-response', responses.map((response) => entryFromResponse(response!, config.BASE_URL)));
  });
  repository.committed(committed);
  return json;
}

/** Errors inside an entry name the entry, so the client knows which one failed the transaction. */
function annotate(error: unknown, index: number): unknown {
  if (!(error instanceof FhirError)) return error;
  const location = `Bundle.entry[${index}]`;
  return new FhirError(
    error.status,
    error.issues.map((issue) => ({
      ...issue,
      diagnostics: issue.diagnostics.startsWith(location) ? issue.diagnostics : `${location}: ${issue.diagnostics}`,
      expression: issue.expression?.length ? issue.expression : [location],
    })),
    error.headers,
  );
}

function withLocation<T>(index: number, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw annotate(error, index);
  }
}

async function withLocationAsync<T>(index: number, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw annotate(error, index);
  }
}
