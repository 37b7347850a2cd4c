import { INGEST_IDENTIFIER_SYSTEM } from '../../mappings/identity.ts';
import type { FhirServices } from '../fhir/context.ts';
import { BulkRows, type BulkColumn } from '../store/bulk-column.ts';
import { rowsSource } from '../store/bulk-insert.ts';
import type { Queryable } from '../store/database.ts';
import { statementName } from '../store/statement-names.ts';

/** An Observation already stored for a reading. */
export interface StoredReading {
  id: string;
  version: number;
  deleted: boolean;
  lastUpdated: string;
  content?: string;
}

const KEY_COLUMNS: BulkColumn[] = [{ name: 'key', type: 'text' }, { name: 'id', type: 'text' }, { name: 'ord', type: 'int4' }];

/**
 * What is stored already for each reading (by position; absent = nothing): the Observation at the
 * reading's own id (reading-ids.ts), or — when that is absent or deleted — a live Observation that
 * carries the same ingest identifier under another id (stored some other way, e.g. POSTed $map
 * output, or ingested before readings were named by their identity), oldest first. One statement
 * whatever the count; only readings with something stored come back.
 *
 * Concurrency needs nothing more: a new reading is created at its own id, so two requests
 * carrying it meet on the resource table's (type, id) key in the write path: the later one fails
 * with a unique violation and runs again (ingest-writer.ts), this time finding the reading here.
 */
export async function storedReadings(tx: Queryable, services: FhirServices, keys: readonly string[], ids: readonly string[], withContent: boolean): Promise<Map<number, StoredReading>> {
  const stored = new Map<number, StoredReading>();
  if (keys.length === 0) return stored;
  const keyRows = new Array<[key: string, id: string, ord: number]>(keys.length);
  for (let i = 0; i < keys.length; i++) keyRows[i] = [keys[i]!, ids[i]!, i];
  const source = rowsSource(tx, 3, KEY_COLUMNS, new BulkRows(keyRows));
  // LATERAL … LIMIT 1 keeps each look-up an index probe: joined plainly (on the id or the
    // computed rid), the planner hashed the whole resource table — 20 ms per 2,500 readings at
    // 50,000 stored, growing with the table. Token rows exist only for live resources (a
    // deletion removes them), so the first one names a live Observation.
  const sql = `SELECT k.ord, c.id, c.version, c.deleted, c.last_updated${withContent ? ', v.content' : ''}
       FROM (${source.sql}) AS k
       LEFT JOIN LATERAL (SELECT r.rid, r.deleted FROM resource r WHERE r.type = 'Observation' AND r.id = k.id LIMIT 1) AS r ON true
       CROSS JOIN LATERAL (
         SELECT c.rid, c.id, c.version, c.deleted, c.last_updated FROM resource c
          WHERE c.rid = coalesce(
                  CASE WHEN r.rid IS NULL OR r.deleted THEN
                    (SELECT t.rid FROM idx_token t WHERE t.pid = $1 AND t.code = k.key AND t.system = $2 ORDER BY t.rid LIMIT 1)
                  END,
                  r.rid)
          LIMIT 1) AS c
       ${withContent ? 'LEFT JOIN resource_version v ON v.rid = c.rid AND v.version = c.version' : ''}`;
  const { rows } = await tx.query<{ ord: number; id: string; version: number; deleted: boolean; last_updated: Date; content?: string | null }>(
    sql,
    [services.paramIds.pid('Observation', 'identifier'), INGEST_IDENTIFIER_SYSTEM, ...source.params],
    statementName(sql),
  );
  for (const row of rows) {
    stored.set(row.ord, { id: row.id, version: row.version, deleted: row.deleted, lastUpdated: row.last_updated.toISOString(), ...(row.content ? { content: row.content } : {}) });
  }
  return stored;
}
