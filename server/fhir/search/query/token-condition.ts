import { normalizeString } from '../values/normalize-string.ts';
import { likeEscape, type SqlParams } from './sql-params.ts';
import { splitEscaped, unescapeValue } from './split-values.ts';

export interface TokenColumns {
  system: string;
  code: string;
  text?: string;
}

const INDEX_COLUMNS: TokenColumns = { system: 'i.system', code: 'i.code', text: 'i.text' };

/** One token value against an index row: "code", "system|code", "|code" (no system), "system|" (any code). */
export function tokenCondition(params: SqlParams, value: string, modifier: string | undefined, columns: TokenColumns = INDEX_COLUMNS): string {
  if (modifier === 'text') return `${columns.text} LIKE ${params.add(likeEscape(normalizeString(unescapeValue(value))) + '%')}`;
  const parts = splitEscaped(value, '|');
  if (parts.length === 1) return `${columns.code} = ${params.add(unescapeValue(parts[0]))}`;
  const system = unescapeValue(parts[0]);
  const code = unescapeValue(parts.slice(1).join('|'));
  const systemSql = system === '' ? `${columns.system} IS NULL` : `${columns.system} = ${params.add(system)}`;
  return code === '' ? systemSql : `(${columns.code} = ${params.add(code)} AND ${systemSql})`;
}
