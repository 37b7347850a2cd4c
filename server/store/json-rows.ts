/**
 * Bulk rows travel to PostgreSQL as one JSON text (an array of row arrays) unpacked with
 * json_array_elements. node-postgres would otherwise build array literals in JavaScript,
 * escaping every element with regular expressions — for the stored JSON of a version that costs
 * ~25 µs, against ~2 µs for JSON.stringify (measured on this machine). The write path sends
 * thousands of rows per transaction, so this is where that difference lives.
 */
export function jsonRowsSelect(parameter: number, columnTypes: string[]): string {
  const columns = columnTypes.map((type, index) => (type === 'text' ? `r->>${index}` : `(r->>${index})::${type}`));
  return `SELECT ${columns.join(', ')} FROM json_array_elements($${parameter}::json) AS r`;
}

export function jsonRows(rows: unknown[][]): string {
  return JSON.stringify(rows);
}
