import type { Queryable } from '../store/database.ts';

export interface Claim {
  key: string;
  /** Our id when claimed, else the id the key already names. */
  id: string;
  claimed: boolean;
}

/**
 * Claims keys (a reading's ingest identifier, or `Device <system|value>` / `Patient <system|value>`
 * for shells) in ingest_key within the caller's transaction. A key another transaction is
 * inserting makes this one wait for it (primary key), so two requests carrying the same reading
 * never both create it: the loser sees the winner's id. Two statements whatever the count.
 */
export async function claimKeys(tx: Queryable, wanted: Array<{ key: string; id: string }>): Promise<Claim[]> {
  if (wanted.length === 0) return [];
  const { rows } = await tx.query<{ key: string }>(
    `INSERT INTO ingest_key (key, resource_id) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (key) DO NOTHING RETURNING key`,
    [wanted.map((w) => w.key), wanted.map((w) => w.id)],
  );
  const claimed = new Set(rows.map((row) => row.key));
  const existing = await heldKeys(tx, wanted.filter((w) => !claimed.has(w.key)).map((w) => w.key));
  return wanted.map((w) => (claimed.has(w.key) ? { key: w.key, id: w.id, claimed: true } : { key: w.key, id: existing.get(w.key) ?? w.id, claimed: false }));
}

/**
 * The ids that keys another transaction claimed name. Run as its own statement after the claim:
 * keys committed while the claim waited on them are visible only to a new snapshot.
 */
export async function heldKeys(tx: Queryable, keys: string[]): Promise<Map<string, string>> {
  const held = new Map<string, string>();
  if (keys.length === 0) return held;
  const { rows } = await tx.query<{ key: string; resource_id: string }>(
    `SELECT i.key, i.resource_id FROM json_array_elements_text($1::json) AS k(key) JOIN ingest_key i ON i.key = k.key`,
    [JSON.stringify(keys)],
  );
  for (const row of rows) held.set(row.key, row.resource_id);
  return held;
}
