import type { BulkColumn, BulkRows } from './bulk-column.ts';

/**
 * The one SQL interface the server talks to. Two engines implement it with the same PostgreSQL
 * dialect: embedded PGlite (default, in DATA_DIR) and a real PostgreSQL server (DATABASE_URL).
 */
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface Queryable {
  /**
   * `name` prepares the statement once per connection (PostgreSQL then reuses its plan); use it
   * only for fixed SQL texts on hot paths.
   */
  query<R = Record<string, any>>(sql: string, params?: unknown[], name?: string): Promise<QueryResult<R>>;
  /**
   * Bulk insert through `COPY table (columns) FROM`, where the engine takes COPY data in-process
   * (PGlite); absent elsewhere, and callers then insert through rowsSource. PostgreSQL has no
   * copyRows on purpose: COPY FROM STDIN through pg-copy-streams, tried on bench:ingest
   * alternating with the jsonb insert, was no faster (5,650 vs 5,957 readings/s, medians of 3).
   */
  copyRows?(table: string, columns: readonly BulkColumn[], rows: BulkRows): Promise<void>;
  /** Takes Buffer parameters as binary (PostgreSQL through node-postgres): bulk rows travel as binary arrays (bulk-insert.ts). */
  readonly binaryArrays?: boolean;
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs fn in one READ COMMITTED transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs a multi-statement script (migrations). */
  exec(sql: string): Promise<void>;
  /** Subscribes to NOTIFY on a channel; returns the unsubscribe function. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  /** Holds a session-level advisory lock until release; resolves undefined when another session holds it. */
  tryLease(key: number): Promise<Lease | undefined>;
  close(): Promise<void>;
}

export interface Lease {
  /** False once the lock is released or the session holding it is gone. */
  isHeld(): boolean;
  release(): Promise<void>;
}

/** PostgreSQL error codes the write path reacts to. */
export const PG_UNIQUE_VIOLATION = '23505';
export const PG_DEADLOCK = '40P01';
export const PG_SERIALIZATION_FAILURE = '40001';

export function sqlErrorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}
