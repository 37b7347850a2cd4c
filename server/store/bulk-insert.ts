import { binaryArray } from './binary-array.ts';
import { BulkRows, ColumnRows, type BulkColumn, type ColumnType } from './bulk-column.ts';
import type { Queryable } from './database.ts';
import { EncodedRows } from './encoded-rows.ts';
import { jsonRows, jsonRowsSelect } from './json-rows.ts';

/**
 * COPY (where the engine has copyRows) for batches of at least this many rows. Its gain is per
 * row (a fifth of PGlite's ingest time on 2,500-reading requests), while each COPY statement pays
 * a fixed cost (PGlite mounts the data as a file); a one-reading request's handful of rows per
 * table goes through the jsonb insert as before (its latency measured the same either way).
 */
const COPY_FROM_ROWS = 32;

/**
 * A SELECT yielding the rows as columns named after `columns`, with its parameters numbered from
 * `firstParam`: one binary array per column where the engine takes binary parameters
 * (PostgreSQL, binary-array.ts), else the rows as one jsonb parameter (json-rows.ts).
 */
export function rowsSource(tx: Queryable, firstParam: number, columns: readonly BulkColumn[], rows: BulkRows | EncodedRows): { sql: string; params: unknown[] } {
  if (tx.binaryArrays) {
    const arrays = columns.map((column, c) => `$${firstParam + c}::${column.type}[]`).join(', ');
    return {
      sql: `SELECT * FROM unnest(${arrays}) AS u(${columns.map((column) => column.name).join(', ')})`,
      params: rows instanceof EncodedRows ? rows.finish() : columns.map((column, c) => binaryArray(column.type, rows, c)),
    };
  }
  if (rows instanceof EncodedRows) throw new Error('binary-encoded rows given to an engine without binary parameters');
  return { sql: jsonRowsSelect(firstParam, columns), params: [jsonRows(columns, rows)] };
}

/** One array parameter (`$n::type[]`): in the binary wire format where the engine takes it, else as the driver serialises arrays. */
export function arrayParam(tx: Queryable, type: ColumnType, values: readonly unknown[]): unknown {
  return tx.binaryArrays ? binaryArray(type, new ColumnRows([values]), 0) : values;
}

/** Whether `rows` go in by COPY: the batch is large enough and the engine takes COPY. */
export function usesCopy(tx: Queryable, rows: BulkRows | EncodedRows): rows is BulkRows {
  return tx.copyRows !== undefined && rows instanceof BulkRows && rows.count >= COPY_FROM_ROWS;
}

/** Inserts rows into `table`: by COPY where usesCopy, else from rowsSource. */
export async function insertRows(tx: Queryable, table: string, columns: readonly BulkColumn[], rows: BulkRows): Promise<void> {
  if (rows.count === 0) return;
  if (usesCopy(tx, rows)) {
    await tx.copyRows!(table, columns, rows);
    return;
  }
  const source = rowsSource(tx, 1, columns, rows);
  await tx.query(`INSERT INTO ${table} (${columns.map((column) => column.name).join(', ')}) ${source.sql}`, source.params);
}

