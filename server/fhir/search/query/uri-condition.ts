import { likeEscape, type SqlParams } from './sql-params.ts';
import { unescapeValue } from './split-values.ts';

/** uri: exact match; :below matches the value and everything under it; :above the reverse. */
export function uriCondition(params: SqlParams, value: string, modifier: string | undefined, column = 'i.uri'): string {
  const uri = unescapeValue(value);
  if (modifier === 'below') return `${column} LIKE ${params.add(likeEscape(uri) + '%')}`;
  if (modifier === 'above') return `${params.add(uri)} LIKE replace(replace(${column}, '%', '\\%'), '_', '\\_') || '%'`;
  return `${column} = ${params.add(uri)}`;
}
