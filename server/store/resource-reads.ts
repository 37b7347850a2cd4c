import type { Queryable } from './database.ts';

export interface StoredVersion {
  type: string;
  id: string;
  rid: number;
  version: number;
  lastUpdated: string;
  deleted: boolean;
  method: string;
  /** The exact stored JSON; null for a deletion. */
  json: string | null;
}

export interface VersionRow {
  type: string;
  id: string;
  rid: number;
  version: number;
  last_updated: Date;
  method: string;
  content: string | null;
}

export function toStored(row: VersionRow): StoredVersion {
  return {
    type: row.type,
    id: row.id,
    rid: row.rid,
    version: row.version,
    lastUpdated: row.last_updated.toISOString(),
    deleted: row.content === null,
    method: row.method,
    json: row.content,
  };
}

/** The current version of a resource (deleted ones included, with json null), or undefined. */
export async function readCurrent(db: Queryable, type: string, id: string): Promise<StoredVersion | undefined> {
  const { rows } = await db.query<VersionRow>(
    `SELECT r.type, r.id, r.rid, v.version, v.last_updated, v.method, v.content
       FROM resource r JOIN resource_version v ON v.rid = r.rid AND v.version = r.version
      WHERE r.type = $1 AND r.id = $2`,
    [type, id],
    'read-current',
  );
  return rows[0] ? toStored(rows[0]) : undefined;
}

export async function readVersion(db: Queryable, type: string, id: string, version: number): Promise<StoredVersion | undefined> {
  const { rows } = await db.query<VersionRow>(
    `SELECT r.type, r.id, r.rid, v.version, v.last_updated, v.method, v.content
       FROM resource r JOIN resource_version v ON v.rid = r.rid AND v.version = $3
      WHERE r.type = $1 AND r.id = $2`,
    [type, id, version],
    'read-version',
  );
  return rows[0] ? toStored(rows[0]) : undefined;
}

/** Current, non-deleted versions by row id, in the order given. */
export async function readByRids(db: Queryable, rids: number[]): Promise<StoredVersion[]> {
  if (rids.length === 0) return [];
  const { rows } = await db.query<VersionRow>(
    `SELECT r.type, r.id, r.rid, v.version, v.last_updated, v.method, v.content
       FROM unnest($1::int8[]) WITH ORDINALITY AS u(rid, ord)
       JOIN resource r ON r.rid = u.rid
       JOIN resource_version v ON v.rid = r.rid AND v.version = r.version
      WHERE NOT r.deleted
      ORDER BY u.ord`,
    [rids],
    'read-by-rids',
  );
  return rows.map(toStored);
}

/** Current, non-deleted versions by type and id (references), in no particular order. */
export async function readByKeys(db: Queryable, keys: Array<{ type: string; id: string }>): Promise<StoredVersion[]> {
  if (keys.length === 0) return [];
  const { rows } = await db.query<VersionRow>(
    `SELECT r.type, r.id, r.rid, v.version, v.last_updated, v.method, v.content
       FROM resource r JOIN resource_version v ON v.rid = r.rid AND v.version = r.version
      WHERE (r.type, r.id) IN (SELECT * FROM unnest($1::text[], $2::text[])) AND NOT r.deleted`,
    [keys.map((k) => k.type), keys.map((k) => k.id)],
  );
  return rows.map(toStored);
}
