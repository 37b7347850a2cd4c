/**
 * A column of bulk rows (bulk-insert.ts): its name and PostgreSQL type. Values are what the write
 * path produces — numbers or decimal text for numeric, Unix milliseconds (±Infinity for open
 * bounds) or ISO text for timestamptz, strings for text, Buffers or hex for bytea — and each
 * transport (binary arrays, COPY text, jsonb) turns them into its own form.
 */
export type ColumnType = 'int8' | 'int4' | 'bool' | 'text' | 'bytea' | 'numeric' | 'timestamptz';

export interface BulkColumn {
  name: string;
  type: ColumnType;
}

/**
 * Rows of a bulk insert: tuples in column order, optionally after a leading column given apart
 * (index rows are extracted before their resource has a row id; the id joins them here without
 * copying every tuple).
 */
export class BulkRows {
  constructor(
    readonly rows: readonly (readonly unknown[])[],
    readonly lead?: readonly unknown[],
  ) {}

  get count(): number {
    return this.rows.length;
  }

  value(row: number, column: number): unknown {
    if (this.lead === undefined) return this.rows[row][column];
    return column === 0 ? this.lead[row] : this.rows[row][column - 1];
  }

  /** One column's values as a plain array. */
  column(column: number): readonly unknown[] {
    if (this.lead !== undefined && column === 0) return this.lead;
    const index = this.lead === undefined ? column : column - 1;
    const rows = this.rows;
    const values = new Array(rows.length);
    for (let r = 0; r < rows.length; r++) values[r] = rows[r][index];
    return values;
  }
}

/**
 * Rows given column by column, for a caller that holds its values as columns already: no tuple
 * is built per row (the provenance leaf recorder inserts thousands a batch, and tuples kept alive
 * across its statement were promoted into the old generation of the server's heap).
 */
export class ColumnRows extends BulkRows {
  constructor(private readonly columns: readonly (readonly unknown[])[]) {
    super([]);
  }

  override get count(): number {
    return this.columns[0]?.length ?? 0;
  }

  override value(row: number, column: number): unknown {
    return this.columns[column]![row];
  }

  override column(column: number): readonly unknown[] {
    return this.columns[column]!;
  }
}

/** A value as PostgreSQL text input (for COPY text and jsonb), or null for SQL NULL. */
export function columnText(type: ColumnType, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (type === 'timestamptz' && typeof value === 'number') {
    if (value === Infinity) return 'infinity';
    if (value === -Infinity) return '-infinity';
    return new Date(value).toISOString();
  }
  if (type === 'bytea') return `\\x${value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex') : String(value)}`;
  if (type === 'bool') return value ? 't' : 'f';
  return String(value);
}
