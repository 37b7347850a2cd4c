import { newResourceId } from '../store/new-resource-id.ts';
import { INGEST_IDENTIFIER_SYSTEM } from '../../mappings/identity.ts';
import type { FhirServices } from '../fhir/context.ts';
import type { Queryable } from '../store/database.ts';
import { heldKeys, type Claim } from './ingest-keys.ts';

export interface ReadingClaims {
  /** One per key, in order: claimed (new reading, id to create it at) or the id of the Observation that holds it. */
  claims: Claim[];
  /** ingest_key rows to point at another Observation (found stored some other way). */
  repoint: Array<{ key: string; id: string }>;
}

/** Live Observations by ingest identifier, through the token index (also those stored some other way, e.g. POSTed $map output). */
async function findByIngestIdentifier(tx: Queryable, services: FhirServices, keys: string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  if (keys.length === 0) return found;
  const { rows } = await tx.query<{ code: string; id: string }>(
    // One index probe per key (a nested loop over the keys): `code = ANY(array)` makes the planner
    // scan every row of the ingest-identity system instead, which grows with the table.
    `SELECT t.code, r.id FROM json_array_elements_text($2::json) AS k(code)
       JOIN idx_token t ON t.pid = $1 AND t.code = k.code AND t.system = $3
       JOIN resource r ON r.rid = t.rid AND NOT r.deleted
      ORDER BY r.rid`,
    [services.paramIds.pid('Observation', 'identifier'), JSON.stringify(keys), INGEST_IDENTIFIER_SYSTEM],
  );
  for (const row of rows) if (!found.has(row.code)) found.set(row.code, row.id);
  return found;
}

/**
 * Decides, inside the ingest transaction, which readings are new. PostgreSQL: each key is
 * claimed in ingest_key (so a concurrent request with the same reading waits for ours and then
 * sees it), and newly claimed keys are also looked up in the token index. PGlite runs one
 * transaction at a time, so the token index alone is exact there and the claim rows (a sixth of
 * PGlite's per-reading SQL time besides the index tables) are skipped; a PGlite database moved
 * to PostgreSQL later still deduplicates, through that same index look-up.
 */
export async function claimReadings(tx: Queryable, services: FhirServices, keys: string[]): Promise<ReadingClaims> {
  if (services.db.kind === 'pglite') {
    const stored = await findByIngestIdentifier(tx, services, keys);
    return { claims: keys.map((key) => (stored.has(key) ? { key, id: stored.get(key)!, claimed: false } : { key, id: newResourceId(), claimed: true })), repoint: [] };
  }
  if (keys.length === 0) return { claims: [], repoint: [] };
  // One statement claims the keys and looks the newly claimed ones up in the token index (a
  // round trip less for every request, which is most of a single reading's latency).
  const ids = keys.map(() => newResourceId());
  const { rows } = await tx.query<{ key: string; elsewhere: string | null }>(
    `WITH claimed AS (
       INSERT INTO ingest_key (key, resource_id)
       SELECT k.key, k.id FROM json_to_recordset($1::json) AS k(key text, id text)
       ON CONFLICT (key) DO NOTHING RETURNING key)
     SELECT c.key, (SELECT r.id FROM idx_token t JOIN resource r ON r.rid = t.rid AND NOT r.deleted
                     WHERE t.pid = $2 AND t.code = c.key AND t.system = $3 ORDER BY r.rid LIMIT 1) AS elsewhere
       FROM claimed c`,
    [JSON.stringify(keys.map((key, i) => ({ key, id: ids[i] }))), services.paramIds.pid('Observation', 'identifier'), INGEST_IDENTIFIER_SYSTEM],
  );
  const claimed = new Map(rows.map((row) => [row.key, row.elsewhere]));
  const held = await heldKeys(tx, keys.filter((key) => !claimed.has(key)));
  const repoint: ReadingClaims['repoint'] = [];
  const claims: Claim[] = keys.map((key, i) => {
    if (!claimed.has(key)) return { key, id: held.get(key) ?? ids[i]!, claimed: false };
    const elsewhere = claimed.get(key);
    if (!elsewhere) return { key, id: ids[i]!, claimed: true };
    repoint.push({ key, id: elsewhere });
    return { key, id: elsewhere, claimed: false };
  });
  return { claims, repoint };
}
