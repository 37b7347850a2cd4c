/**
 * Search index rows of one resource version, one list per index table, without the row id
 * (assigned at write time). Column order matches the tables in migrations/001-core.sql.
 */
export interface IndexRows {
  token: Array<[pid: number, system: string | null, code: string | null, text: string | null]>;
  string: Array<[pid: number, value: string, exact: string]>;
  /** Bounds in Unix milliseconds, ±Infinity when open (see instantBound). */
  date: Array<[pid: number, low: number, high: number]>;
  number: Array<[pid: number, value: string, low: string, high: string]>;
  quantity: Array<
    [
      pid: number,
      system: string | null,
      code: string | null,
      unit: string | null,
      value: string,
      low: string,
      high: string,
      canonicalCode: string | null,
      canonicalValue: string | null,
    ]
  >;
  reference: Array<[pid: number, targetType: string | null, targetId: string | null, targetVersion: string | null, url: string | null]>;
  uri: Array<[pid: number, uri: string]>;
  composite: Array<
    [
      pid: number,
      kSystem: string | null, kCode: string | null,
      tSystem: string | null, tCode: string | null,
      qValue: string | null, qSystem: string | null, qCode: string | null, qUnit: string | null, qCanonicalCode: string | null, qCanonicalValue: string | null,
      n1: string | null, n2: string | null,
      sValue: string | null,
      dLow: number | null, dHigh: number | null,
    ]
  >;
  identifier_type: Array<[pid: number, typeSystem: string | null, typeCode: string | null, value: string]>;
  /** Observation fast path (no pid: one table for Observation.subject × code × effective). */
  observation: Array<[subjectType: string | null, subjectId: string, system: string | null, code: string | null, groupSystem: string | null, groupCode: string | null, low: number | null, high: number | null]>;
}

export type IndexTable = keyof IndexRows;

export const INDEX_TABLES: IndexTable[] = ['token', 'string', 'date', 'number', 'quantity', 'reference', 'uri', 'composite', 'identifier_type', 'observation'];

export function emptyIndexRows(): IndexRows {
  return { token: [], string: [], date: [], number: [], quantity: [], reference: [], uri: [], composite: [], identifier_type: [], observation: [] };
}
