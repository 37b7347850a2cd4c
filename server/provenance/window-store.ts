import type { Database, Queryable } from '../store/database.ts';
import type { AnchorWindow, WindowVersion } from './anchor-window.ts';
import { leafHash } from './leaf.ts';
import { committedBetweenSql, LEAF_HEAD_SQL, leafBytes, leavesBetweenSql, runBytes, runsOverlapping } from './leaf-runs.ts';
import type { AnchorRecord } from './ledger.ts';

/** One anchor window as persisted in provenance_window. */
export interface WindowRow {
  windowId: number;
  firstLeaf: number;
  lastLeaf: number;
  status: 'open' | 'built' | 'anchored';
  needsProvenance: boolean;
  root?: string;
  manifestCid?: string;
  anchor?: { chainId: number; contract: string; txHash: string; blockNumber: number; blockTime: string; anchoredAt: string };
}

const WINDOW_COLUMNS = `window_id, first_leaf, last_leaf, status, needs_provenance, root, manifest_cid,
  chain_id, contract, tx_hash, block_number, block_time, anchored_at`;

export function toWindow(row: any): WindowRow {
  return {
    windowId: Number(row.window_id),
    firstLeaf: Number(row.first_leaf),
    lastLeaf: Number(row.last_leaf),
    status: row.status,
    needsProvenance: row.needs_provenance,
    ...(row.root ? { root: `0x${Buffer.from(row.root).toString('hex')}` } : {}),
    ...(row.manifest_cid ? { manifestCid: row.manifest_cid } : {}),
    ...(row.tx_hash
      ? {
          anchor: {
            chainId: Number(row.chain_id),
            contract: row.contract,
            txHash: row.tx_hash,
            blockNumber: Number(row.block_number),
            blockTime: new Date(row.block_time).toISOString(),
            anchoredAt: new Date(row.anchored_at).toISOString(),
          },
        }
      : {}),
  };
}

/**
 * Closes windows over the leaves not yet in one: every full run of `maxLeaves`, then the rest once
 * its oldest leaf has waited `maxSeconds` (database clock, so a restart keeps the schedule).
 * Returns how many windows were opened and, when leaves are left waiting, in how many ms the next
 * time-based window is due.
 */
export async function assignWindows(db: Database, maxLeaves: number, maxSeconds: number): Promise<{ opened: number; dueInMs?: number }> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ last: string; head: string; next_window: string }>(
      `SELECT (SELECT coalesce(max(last_leaf), 0) FROM provenance_window) AS last,
              ${LEAF_HEAD_SQL} AS head,
              (SELECT coalesce(max(window_id), 0) + 1 FROM provenance_window) AS next_window`,
    );
    let last = Number(rows[0].last);
    const head = Number(rows[0].head);
    let windowId = Number(rows[0].next_window);
    let opened = 0;
    const open = async (first: number, lastLeaf: number) => {
      await tx.query(
        `INSERT INTO provenance_window (window_id, first_leaf, last_leaf, status, needs_provenance)
         VALUES ($1, $2, $3, 'open', $3::int8 - $2::int8 + 1 > (
           SELECT count(*) FROM provenance_leaf_run r CROSS JOIN LATERAL unnest(r.generated) AS g
            WHERE ${runsOverlapping('$2::int8', '$3::int8')} AND r.first_leaf + g - 1 BETWEEN $2 AND $3))`,
        [windowId++, first, lastLeaf],
      );
      opened++;
      last = lastLeaf;
    };
    while (head - last >= maxLeaves) await open(last + 1, last + maxLeaves);
    if (head === last) return { opened };
    const { rows: age } = await tx.query<{ waited_ms: number }>(
      `SELECT extract(epoch FROM (clock_timestamp() - created_at)) * 1000 AS waited_ms FROM provenance_leaf_run WHERE first_leaf <= $1 ORDER BY first_leaf DESC LIMIT 1`,
      [last + 1],
    );
    const waited = Number(age[0]?.waited_ms ?? 0);
    if (waited >= maxSeconds * 1000) {
      await open(last + 1, head);
      return { opened };
    }
    return { opened, dueInMs: Math.ceil(maxSeconds * 1000 - waited) };
  });
}

export async function windowsWithStatus(db: Queryable, status: WindowRow['status'], limit: number): Promise<WindowRow[]> {
  const { rows } = await db.query(`SELECT ${WINDOW_COLUMNS} FROM provenance_window WHERE status = $1 ORDER BY window_id LIMIT $2`, [status, limit]);
  return rows.map(toWindow);
}

/** The window holding leaf `leafNo`, if one does yet. */
export async function windowOfLeaf(db: Queryable, leafNo: number): Promise<WindowRow | undefined> {
  const { rows } = await db.query(`SELECT ${WINDOW_COLUMNS} FROM provenance_window WHERE first_leaf <= $1 ORDER BY first_leaf DESC LIMIT 1`, [leafNo]);
  const window = rows[0] ? toWindow(rows[0]) : undefined;
  return window && window.lastLeaf >= leafNo ? window : undefined;
}

/**
 * A window's leaves as buildAnchorWindow takes them, in leaf order. A leaf whose version is gone
 * (erased), or whose bytes no longer hash to it (altered after commit), goes in as a bare leaf:
 * anchored as computed at commit, with nothing put in a bundle.
 */
export async function windowVersions(db: Queryable, window: WindowRow): Promise<{ versions: WindowVersion[]; altered: number }> {
  const { rows } = await db.query<any>(
    `SELECT l.leaf_no, l.rid, l.version, r.type, r.id, l.subject, v.content
       FROM (${leavesBetweenSql('$1::int8', '$2::int8')}) AS l LEFT JOIN resource r ON r.rid = l.rid LEFT JOIN resource_version v ON v.rid = l.rid AND v.version = l.version
      ORDER BY l.leaf_no`,
    [window.firstLeaf, window.lastLeaf],
  );
  if (rows.length !== window.lastLeaf - window.firstLeaf + 1) throw new Error(`window ${window.windowId} has ${rows.length} leaves recorded for ${window.lastLeaf - window.firstLeaf + 1}`);
  const runs = await runBytes(db, window.firstLeaf, window.lastLeaf);
  let altered = 0;
  const versions = rows.map((row): WindowVersion => {
    const { salt, leaf } = leafBytes(runs, Number(row.leaf_no))!;
    const bare = { type: row.type ?? 'erased', id: row.id ?? String(row.leaf_no), version: String(row.version ?? 0), leaf: Buffer.from(leaf) };
    if (row.content === null || row.content === undefined || row.rid === null) return bare;
    const bytes = Buffer.from(row.content);
    if (!leafHash(salt, bytes).equals(bare.leaf)) {
      altered++;
      return bare;
    }
    return { ...bare, bytes, salt: Buffer.from(salt), patient: row.subject ?? undefined };
  });
  return { versions, altered };
}

/** What a window's Provenance names, summarised by the database. */
export interface WindowTargets {
  leafCount: number;
  /** Versioned references to the versions the window anchors, in leaf order; erased ones are left out. */
  targets: Array<{ reference: string }>;
  firstCommitted: string;
  lastCommitted: string;
}

/**
 * `known`: the references as the sealer had them when it sealed the window from the versions it
 * held (Sealer.windowTargets); otherwise they are read from the window's leaves.
 */
export async function windowTargets(db: Queryable, window: WindowRow, known?: string[]): Promise<WindowTargets> {
  const { rows } = await db.query<{ leaves: string | number; first: string | number; last: string | number }>(
    `SELECT count(*) AS leaves, min(committed_ms) AS first, max(committed_ms) AS last FROM (${committedBetweenSql('$1::int8', '$2::int8')}) AS l`,
    [window.firstLeaf, window.lastLeaf],
  );
  const [row] = rows;
  return {
    leafCount: Number(row.leaves),
    targets: known ? asReferences(known) : await storedReferences(db, window),
    firstCommitted: new Date(Number(row.first)).toISOString(),
    lastCommitted: new Date(Number(row.last)).toISOString(),
  };
}

// A loop, not a callback made per window (server/ingest/README.md, "Optimized code").
function asReferences(references: string[]): WindowTargets['targets'] {
  const targets: WindowTargets['targets'] = new Array(references.length);
  for (let i = 0; i < references.length; i++) targets[i] = { reference: references[i]! };
  return targets;
}

/**
 * The references as one JSON text built in SQL: read as a row per leaf, the 1,000 leaves of a
 * window cost a row object each only to become references. Erased leaves have no resource.
 */
async function storedReferences(db: Queryable, window: WindowRow): Promise<WindowTargets['targets']> {
  const { rows } = await db.query<{ targets: string }>(
    `SELECT coalesce(json_agg(json_build_object('reference', r.type || '/' || r.id || '/_history/' || l.version) ORDER BY l.leaf_no), '[]')::text AS targets
       FROM (${leavesBetweenSql('$1::int8', '$2::int8')}) AS l JOIN resource r ON r.rid = l.rid`,
    [window.firstLeaf, window.lastLeaf],
  );
  return JSON.parse(rows[0]!.targets) as WindowTargets['targets'];
}

/** Records a built window (bundles and manifest stored) in one transaction; a second call changes nothing. */
export async function saveBuilt(db: Database, window: WindowRow, built: Pick<AnchorWindow, 'root' | 'manifestCid' | 'bundles'>): Promise<void> {
  await db.transaction(async (tx) => {
    const { rowCount } = await tx.query(
      `UPDATE provenance_window SET status = 'built', root = $2, manifest_cid = $3, built_at = now() WHERE window_id = $1 AND status = 'open'`,
      [window.windowId, Buffer.from(built.root.slice(2), 'hex'), built.manifestCid],
    );
    if (rowCount === 0 || built.bundles.length === 0) return;
    const cids = new Array<string>(built.bundles.length);
    const subjects = new Array<string>(built.bundles.length);
    for (let i = 0; i < built.bundles.length; i++) {
      cids[i] = built.bundles[i]!.cid;
      subjects[i] = built.bundles[i]!.subject;
    }
    await tx.query('INSERT INTO provenance_window_bundle (window_id, cids, subjects) VALUES ($1, $2::text[], $3::text[]) ON CONFLICT DO NOTHING', [window.windowId, cids, subjects]);
  });
}

/** Block of the latest anchor recorded on this chain and contract: a lost transaction can only be at or after it. */
export async function lastAnchoredBlock(db: Queryable, chainId: number, contract: string): Promise<number | undefined> {
  const { rows } = await db.query<{ block: string | null }>(
    'SELECT max(block_number) AS block FROM provenance_window WHERE chain_id = $1 AND lower(contract) = $2',
    [chainId, contract.toLowerCase()],
  );
  return rows[0]?.block === null || rows[0]?.block === undefined ? undefined : Number(rows[0].block);
}

/** Records a built window anchored, with the rid of its Provenance when it has one; false when it was not built (already anchored). */
export async function saveAnchored(db: Queryable, windowId: number, record: AnchorRecord, provenanceRid?: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE provenance_window SET status = 'anchored', chain_id = $2, contract = $3, tx_hash = $4, block_number = $5,
            block_time = to_timestamp($6), anchored_at = now(), provenance_rid = coalesce($7::int8, provenance_rid)
      WHERE window_id = $1 AND status = 'built'`,
    [windowId, record.chainId, record.contract, record.txHash, record.blockNumber, record.blockTime, provenanceRid ?? null],
  );
  return rowCount > 0;
}
