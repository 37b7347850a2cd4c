/**
 * Rows in COPY's text format (tab-separated, \N for NULL, backslash escapes), for bulk inserts
 * through `COPY … FROM` where the engine supports it (PGlite: see pglite-database.ts). Values are
 * what the write path produces: strings (text, numeric and timestamp literals), numbers, booleans
 * and null.
 */
const SPECIAL = /[\\\t\n\r]/;
const SPECIALS = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

export function copyText(rows: readonly (readonly unknown[])[]): string {
  const lines: string[] = new Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    let line = copyField(row[0]);
    for (let c = 1; c < row.length; c++) line += '\t' + copyField(row[c]);
    lines[r] = line;
  }
  return lines.join('\n') + '\n';
}

function copyField(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  const text = String(value);
  return SPECIAL.test(text) ? text.replace(SPECIALS, (c) => ESCAPES[c]) : text;
}
