import type { Queryable } from './database.ts';
import { toStored, type StoredVersion } from './resource-reads.ts';

export interface HistoryQuery {
  type?: string;
  id?: string;
  /** Only versions last updated at or after this instant (ISO). */
  since?: string;
  /** Only versions current at some point in [atLow, atHigh) (ISO). */
  atLow?: string;
  atHigh?: string;
  /** Keyset paging: only entries strictly older than this position. */
  before?: number;
  count: number;
}

export interface HistoryEntry extends StoredVersion {
  /** Position for keyset paging (outbox seq, or version for instance history). */
  position: number;
}

/**
 * History, newest first. Instance history reads the version table; type and system history read
 * the outbox, which is the commit log (one row per committed version, in commit order), so paging
 * by its sequence number is stable while new versions arrive.
 */
export async function readHistory(db: Queryable, query: HistoryQuery): Promise<HistoryEntry[]> {
  const params: unknown[] = [];
  const where: string[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (query.id !== undefined) {
    add('r.type = ?', query.type);
    add('r.id = ?', query.id);
    addWindow(add, query, 'v', 'v.version');
    params.push(query.count);
    const { rows } = await db.query<any>(
      `SELECT r.type, r.id, r.rid, v.version, v.last_updated, v.method, v.content, v.version AS position
         FROM resource r JOIN resource_version v ON v.rid = r.rid
        WHERE ${where.join(' AND ')}
        ORDER BY v.version DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toEntry);
  }
  if (query.type !== undefined) add('o.type = ?', query.type);
  addWindow(add, query, 'o', 'o.seq');
  params.push(query.count);
  const { rows } = await db.query<any>(
    `SELECT o.type, o.id, o.rid, o.version, v.last_updated, v.method, v.content, o.seq AS position
       FROM outbox o JOIN resource_version v ON v.rid = o.rid AND v.version = o.version
      ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY o.seq DESC LIMIT $${params.length}`,
    params,
  );
  return rows.map(toEntry);
}

/**
 * _since, the paging cursor and _at, on rows of `alias` (resource_version v or outbox o, both with
 * rid, version and last_updated); `position` is the column the cursor pages on.
 */
function addWindow(add: (sql: string, value: unknown) => void, query: HistoryQuery, alias: string, position: string): void {
  if (query.since) add(`${alias}.last_updated >= ?::timestamptz`, query.since);
  if (query.before !== undefined) add(`${position} < ?`, query.before);
  if (query.atHigh) add(`${alias}.last_updated < ?::timestamptz`, query.atHigh);
  if (query.atLow) {
    add(
      `NOT EXISTS (SELECT 1 FROM resource_version n WHERE n.rid = ${alias}.rid AND n.version = ${alias}.version + 1 AND n.last_updated <= ?::timestamptz)`,
      query.atLow,
    );
  }
}

function toEntry(row: any): HistoryEntry {
  return { ...toStored(row), position: Number(row.position) };
}

/** Total versions matching a history query (only computed when asked, it costs a count). */
export async function countHistory(db: Queryable, query: Omit<HistoryQuery, 'count' | 'before'>): Promise<number> {
  if (query.id !== undefined) {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM resource r JOIN resource_version v ON v.rid = r.rid
        WHERE r.type = $1 AND r.id = $2 AND ($3::timestamptz IS NULL OR v.last_updated >= $3::timestamptz)`,
      [query.type, query.id, query.since ?? null],
    );
    return rows[0].n;
  }
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM outbox o
      WHERE ($1::text IS NULL OR o.type = $1) AND ($2::timestamptz IS NULL OR o.last_updated >= $2::timestamptz)`,
    [query.type ?? null, query.since ?? null],
  );
  return rows[0].n;
}
