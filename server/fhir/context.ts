import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { AuthorizationPolicy, Principal } from '../http/authorization.ts';
import type { Database, Queryable } from '../store/database.ts';
import type { CommittedWrite, Repository, WriteOperation } from '../store/repository.ts';
import type { SearchParamIds } from '../store/search-param-ids.ts';
import type { SearchParameterRegistry } from './search/definitions/search-parameters.ts';
import type { ReferenceRows } from './search/reference-rows.ts';
import type { TypeModel } from '../../conformance/type-model.ts';
import type { OperationRegistry } from './operations/operation-registry.ts';
import { FhirError, preconditionFailed, type Issue } from './outcome.ts';
import { PG_DEADLOCK, PG_SERIALIZATION_FAILURE, sqlErrorCode } from '../store/database.ts';
import { VersionConflictError } from '../store/write-errors.ts';

export interface ResourceValidator {
  (resource: unknown, options?: { profiles?: string[] }): Array<Issue & { kind: 'structure' | 'rule' }>;
}

/** Long-lived server components, created once at start. */
export interface FhirServices {
  config: Config;
  log: Logger;
  db: Database;
  repository: Repository;
  registry: SearchParameterRegistry;
  paramIds: SearchParamIds;
  /** Where reference search rows come from (idx_reference, and rows features derive). */
  referenceRows: ReferenceRows;
  types: TypeModel;
  authorization: AuthorizationPolicy;
  operations: OperationRegistry;
  validate: ResourceValidator;
}

/** One interaction's view: who asks, and the transaction it runs in (inside transaction bundles). */
export interface InteractionContext {
  services: FhirServices;
  principal: Principal;
  requestId: string;
  /** Set while processing a transaction bundle: reads and writes go through it. */
  tx?: Queryable;
  /** Writes done in tx, announced to outbox consumers after COMMIT. */
  committedInTx?: CommittedWrite[];
}

export function queryable(ctx: InteractionContext): Queryable {
  return ctx.tx ?? ctx.services.db;
}

/** Writes through the one write path, inside the bundle transaction when there is one. */
export async function writeResources(ctx: InteractionContext, operations: WriteOperation[]): Promise<CommittedWrite[]> {
  try {
    if (ctx.tx) {
      const results = await ctx.services.repository.writeInTransaction(ctx.tx, operations);
      ctx.committedInTx?.push(...results);
      return results;
    }
    return await ctx.services.repository.write(operations);
  } catch (error) {
    throw asFhirError(error);
  }
}

/** Store-level conflicts as the HTTP answers the spec gives them. */
export function asFhirError(error: unknown): unknown {
  if (error instanceof VersionConflictError) {
    return preconditionFailed(
      error.actual === undefined
        ? `${error.type}/${error.id} does not exist (or is deleted), so If-Match ${error.expected} cannot match`
        : `${error.type}/${error.id} is at version ${error.actual}, not ${error.expected} (If-Match)`,
      'conflict',
      ['http.If-Match'],
    );
  }
  const code = sqlErrorCode(error);
  if (code === PG_DEADLOCK || code === PG_SERIALIZATION_FAILURE) {
    return new FhirError(409, { severity: 'error', code: 'lock-error', diagnostics: 'The write collided with concurrent writes and was not applied; retry it' });
  }
  return error;
}
