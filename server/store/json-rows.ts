import { columnText, type BulkColumn, type BulkRows } from './bulk-column.ts';

/**
 * Bulk rows as one JSON text (an array of row arrays) unpacked with jsonb_array_elements: the
 * path for engines that take no binary parameters (PGlite, whose large batches go through COPY).
 * PostgreSQL gets binary arrays instead (binary-array.ts).
 *
 * jsonb, not json: `->>` on a json value lexes the element again for every column it extracts
 * (a version row's 1 KB content five times over); jsonb parses the parameter once.
 */
export function jsonRowsSelect(parameter: number, columns: readonly BulkColumn[]): string {
  // Every value travels as its PostgreSQL text input (bytea as \x hex).
  const selected = columns.map(({ name, type }, index) => `${type === 'text' ? `r->>${index}` : `(r->>${index})::${type}`} AS ${name}`);
  return `SELECT ${selected.join(', ')} FROM jsonb_array_elements($${parameter}::jsonb) AS r`;
}

export function jsonRows(columns: readonly BulkColumn[], rows: BulkRows): string {
  const json: Array<Array<string | number | null>> = new Array(rows.count);
  for (let r = 0; r < rows.count; r++) {
    const row: Array<string | number | null> = new Array(columns.length);
    for (let c = 0; c < columns.length; c++) {
      const value = rows.value(r, c);
      row[c] = typeof value === 'number' && columns[c].type !== 'timestamptz' ? value : columnText(columns[c].type, value);
    }
    json[r] = row;
  }
  return JSON.stringify(json);
}
