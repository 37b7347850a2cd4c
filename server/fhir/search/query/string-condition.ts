import { normalizeString } from '../values/normalize-string.ts';
import { likeEscape, type SqlParams } from './sql-params.ts';
import { unescapeValue } from './split-values.ts';

/** Strings match case- and accent-insensitively at the start; :exact and :contains as the spec says. */
export function stringCondition(params: SqlParams, value: string, modifier: string | undefined, column = 'i.value'): string {
  const text = unescapeValue(value);
  if (modifier === 'exact') return `i.exact = ${params.add(text)}`;
  const normalized = likeEscape(normalizeString(text));
  if (modifier === 'contains') return `${column} LIKE ${params.add('%' + normalized + '%')}`;
  return `${column} LIKE ${params.add(normalized + '%')}`;
}
