import type { Queryable } from './database.ts';

/**
 * COPY (where the engine has copyRows) for batches of at least this many rows. Its gain is per
 * row (a fifth of PGlite's ingest time on 2,500-reading requests), while each COPY statement pays
 * a fixed cost (PGlite mounts the data as a file); a one-reading request's handful of rows per
 * table goes through the jsonb insert as before (its latency measured the same either way).
 */
const COPY_FROM_ROWS = 32;

/** Inserts rows by COPY when the batch is large enough and the engine takes COPY, else by `insert`. */
export async function insertRows(
  tx: Queryable,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  insert: () => Promise<unknown>,
): Promise<void> {
  if (rows.length === 0) return;
  if (tx.copyRows && rows.length >= COPY_FROM_ROWS) await tx.copyRows(table, columns, rows);
  else await insert();
}
