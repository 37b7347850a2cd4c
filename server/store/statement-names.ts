/**
 * Names under which PostgreSQL prepares a statement text once per connection and reuses its
 * parse and plan. The write path's statements are built from parts (which index tables a write
 * touches, which lookups a request needs), so they cannot carry fixed names; this gives each
 * distinct text a name of its own. Those texts are few (a handful per kind of write), and the
 * count is capped so that a path passing ever-new texts costs parse and plan as before instead of
 * growing every connection's statement cache.
 */
const MAX_NAMED = 200;
const names = new Map<string, string>();

export function statementName(sql: string): string | undefined {
  let name = names.get(sql);
  if (name === undefined && names.size < MAX_NAMED) names.set(sql, (name = `w${names.size}`));
  return name;
}
