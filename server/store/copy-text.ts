import { columnText, type BulkColumn, type BulkRows } from './bulk-column.ts';

/**
 * Rows in COPY's text format (tab-separated, \N for NULL, backslash escapes), for bulk inserts
 * through `COPY … FROM` where the engine supports it (PGlite: see pglite-database.ts).
 */
const SPECIAL = /[\\\t\n\r]/;
const SPECIALS = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

export function copyText(columns: readonly BulkColumn[], rows: BulkRows): string {
  const lines: string[] = new Array(rows.count);
  for (let r = 0; r < rows.count; r++) {
    let line = copyField(columns[0].type, rows.value(r, 0));
    for (let c = 1; c < columns.length; c++) line += '\t' + copyField(columns[c].type, rows.value(r, c));
    lines[r] = line;
  }
  return lines.join('\n') + '\n';
}

function copyField(type: BulkColumn['type'], value: unknown): string {
  const text = columnText(type, value);
  if (text === null) return '\\N';
  return SPECIAL.test(text) ? text.replace(SPECIALS, (c) => ESCAPES[c]) : text;
}
