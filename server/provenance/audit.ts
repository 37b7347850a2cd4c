import type { Queryable } from '../store/database.ts';
import type { ProvenanceBackends } from './backends.ts';
import { readBundle } from './bundle.ts';
import { openBundle } from './envelope.ts';
import { leafHash } from './leaf.ts';
import { leafBytes, leavesBetweenSql, runBytes } from './leaf-runs.ts';
import type { AnchorRecord } from './ledger.ts';
import { cidHasDigest, manifestCidCandidates } from './manifest-digest.ts';
import type { AnchorManifest } from './manifest.ts';
import type { VerifiedContent } from './verified-content.ts';
import { toWindow, type WindowRow } from './window-store.ts';

export type FindingKind =
  | 'window-missing' // anchored on-chain, unknown to the database
  | 'manifest-mismatch' // the database names another manifest than the chain
  | 'anchor-missing' // the database says anchored, the chain has no such anchor
  | 'leaf-record-missing' // a leaf of an anchored window has no row any more
  | 'leaf-record-altered' // its row holds another leaf than the manifest
  | 'version-missing' // the version the leaf stands for is gone from resource_version
  | 'version-altered' // the stored bytes no longer hash to the anchored leaf
  | 'version-unanchored'; // a committed version the pipeline has passed but has no leaf (written around the outbox)

export interface AuditFinding {
  kind: FindingKind;
  detail: string;
  /** Type/id/_history/version, when known (from the database or from decrypting the bundle). */
  reference?: string;
  window?: number;
  root?: string;
  txHash?: string;
}

export interface AuditReport {
  from: string;
  to: string;
  anchorsOnChain: number;
  windowsChecked: number;
  leavesChecked: number;
  erasedLeaves: number;
  pendingWindows: number;
  findings: AuditFinding[];
}

export interface AuditDeps {
  db: Queryable;
  backends: ProvenanceBackends;
  content: VerifiedContent;
  /** Outbox consumer whose cursor tells which versions the pipeline has passed. */
  consumer: string;
}

/**
 * Compares the chain with the database over a time range, trusting neither alone: every Anchored
 * event in the range (earliest per root) is matched with its window; the window's manifest, fetched
 * by the CID digest the chain holds, gives the leaves that must exist; each leaf must still have its
 * row, and the version it stands for must still hash to it. Leaves whose rows are gone are named by
 * decrypting the window's bundles (the server holds the keys). Then the reverse: windows the database
 * calls anchored must be on-chain, and versions committed in the range that the pipeline has passed
 * must have a leaf. Erased leaves are counted, not reported.
 */
export async function auditAnchors(deps: AuditDeps, from: Date, to: Date): Promise<AuditReport> {
  const ledger = await deps.backends.ledger();
  const [chainId, contract] = [await ledger.chainId(), (await ledger.contractAddress()).toLowerCase()];
  const earliest = new Map<string, AnchorRecord>();
  for (const record of await ledger.anchorsInRange({ fromTime: Math.floor(from.getTime() / 1000), toTime: Math.floor(to.getTime() / 1000) })) {
    if (!earliest.has(record.root.toLowerCase())) earliest.set(record.root.toLowerCase(), record);
  }
  const report: AuditReport = { from: from.toISOString(), to: to.toISOString(), anchorsOnChain: earliest.size, windowsChecked: 0, leavesChecked: 0, erasedLeaves: 0, pendingWindows: 0, findings: [] };
  const find = (finding: AuditFinding) => report.findings.push(finding);

  const { rows } = await deps.db.query('SELECT * FROM provenance_window WHERE root = ANY($1::bytea[])', [[...earliest.keys()].map((root) => Buffer.from(root.slice(2), 'hex'))]);
  const byRoot = new Map(rows.map((row) => [`0x${Buffer.from(row.root).toString('hex')}`, toWindow(row)]));
  for (const [root, record] of earliest) {
    const window = byRoot.get(root);
    const manifestCid = window?.manifestCid && cidHasDigest(window.manifestCid, record.manifestDigest) ? window.manifestCid : await locateManifest(deps.content, record.manifestDigest);
    if (!window) {
      find({ kind: 'window-missing', root, txHash: record.txHash, detail: `root anchored in block ${record.blockNumber} has no window in the database` });
      if (manifestCid) for (const reference of await decryptedReferences(deps, (await deps.content.manifest(manifestCid)).manifest, new Map())) find({ kind: 'leaf-record-missing', root, reference, detail: 'named by the window\'s encrypted bundle' });
      continue;
    }
    report.windowsChecked++;
    if (!manifestCid || manifestCid !== window.manifestCid) {
      find({ kind: 'manifest-mismatch', window: window.windowId, root, txHash: record.txHash, detail: `the chain anchors manifest digest ${record.manifestDigest}, the database names ${window.manifestCid}` });
      if (!manifestCid) continue;
    }
    await auditWindow(deps, window, (await deps.content.manifest(manifestCid)).manifest, report);
  }

  const { rows: claimed } = await deps.db.query(
    `SELECT * FROM provenance_window WHERE status = 'anchored' AND block_time BETWEEN $1 AND $2 AND chain_id = $3 AND lower(contract) = $4`,
    [from, to, chainId, contract],
  );
  for (const window of claimed.map(toWindow)) {
    if (earliest.has(window.root!)) continue;
    const onChain = await ledger.lookup(window.root!, window.anchor!.blockNumber);
    if (!onChain || onChain.txHash.toLowerCase() !== window.anchor!.txHash.toLowerCase()) {
      find({ kind: 'anchor-missing', window: window.windowId, root: window.root, txHash: window.anchor!.txHash, detail: 'the database says anchored; the chain has no such anchor in the range' });
    }
  }
  const { rows: pending } = await deps.db.query<{ n: string }>(`SELECT count(*) AS n FROM provenance_window WHERE status <> 'anchored' AND created_at BETWEEN $1 AND $2`, [from, to]);
  report.pendingWindows = Number(pending[0].n);

  // Commit order is outbox order; the time of the last event the consumer finished bounds what must
  // have a leaf. The leaves of the range are in the runs recorded from its outbox positions.
  const { rows: unanchored } = await deps.db.query<{ type: string; id: string; version: number }>(
    `WITH passed AS (
       SELECT o.last_updated FROM outbox o WHERE o.seq <= coalesce((SELECT seq FROM outbox_cursor WHERE consumer = $3), 0) ORDER BY o.seq DESC LIMIT 1),
     span AS (SELECT min(seq) AS lo, max(seq) AS hi FROM outbox WHERE last_updated BETWEEN $1 AND $2),
     recorded AS (
       SELECT u.rid, u.version FROM span, provenance_leaf_run r CROSS JOIN LATERAL unnest(r.rids, r.versions) AS u(rid, version)
        WHERE r.last_seq >= span.lo AND r.first_seq <= span.hi)
     SELECT r.type, r.id, v.version FROM resource_version v JOIN resource r ON r.rid = v.rid, passed
      WHERE v.last_updated BETWEEN $1 AND $2 AND v.content IS NOT NULL AND v.last_updated < passed.last_updated - interval '1 second'
        AND NOT EXISTS (SELECT 1 FROM recorded l WHERE l.rid = v.rid AND l.version = v.version)
      ORDER BY v.last_updated LIMIT 1000`,
    [from, to, deps.consumer],
  );
  for (const v of unanchored) find({ kind: 'version-unanchored', reference: `${v.type}/${v.id}/_history/${v.version}`, detail: 'committed in the range, passed by the provenance consumer, but without a leaf (written around the outbox?)' });
  return report;
}

async function auditWindow(deps: AuditDeps, window: WindowRow, manifest: AnchorManifest, report: AuditReport): Promise<void> {
  const { rows } = await deps.db.query<any>(
    // Named through resource: a version deleted from resource_version alone is still named; one
    // whose resource row went too is named by the bundles, as a missing leaf row is below.
    `SELECT l.leaf_no, l.erased, r.type, r.id, l.version, l.rid, v.content, v.rid AS version_rid
       FROM (${leavesBetweenSql('$1::int8', '$2::int8')}) AS l LEFT JOIN resource r ON r.rid = l.rid LEFT JOIN resource_version v ON v.rid = l.rid AND v.version = l.version`,
    [window.firstLeaf, window.lastLeaf],
  );
  const runs = await runBytes(deps.db, window.firstLeaf, window.lastLeaf);
  for (const row of rows) Object.assign(row, leafBytes(runs, Number(row.leaf_no)));
  const byIndex = new Map(rows.map((row) => [Number(row.leaf_no) - window.firstLeaf, row]));
  const missing: number[] = [];
  const unnamed: Array<{ finding: AuditFinding; index: number }> = [];
  manifest.leaves.forEach((leafHex, index) => {
    report.leavesChecked++;
    const row = byIndex.get(index);
    const where = { window: window.windowId, root: window.root };
    if (!row) return missing.push(index);
    const reference = row.type ? `${row.type}/${row.id}/_history/${row.version}` : undefined;
    let finding: AuditFinding | undefined;
    if (Buffer.from(row.leaf).toString('hex') !== leafHex) finding = { kind: 'leaf-record-altered', ...where, reference, detail: `leaf ${index} differs from the anchored manifest` };
    else if (row.erased) return report.erasedLeaves++;
    else if (row.version_rid === null) finding = { kind: 'version-missing', ...where, reference, detail: `the anchored version (leaf ${index}) is gone from resource_version` };
    else if (row.content === null || !leafHash(Buffer.from(row.salt), Buffer.from(row.content)).equals(Buffer.from(row.leaf))) {
      finding = { kind: 'version-altered', ...where, reference, detail: `the stored bytes no longer hash to the anchored leaf ${index}` };
    }
    if (!finding) return;
    report.findings.push(finding);
    if (!reference) unnamed.push({ finding, index });
  });
  if (missing.length === 0 && unnamed.length === 0) return;
  const { rows: bundles } = await deps.db.query<{ cid: string; subject: string | null }>('SELECT cid, subject FROM provenance_bundle WHERE window_id = $1', [window.windowId]);
  const known = new Map(bundles.filter((b) => b.subject).map((b) => [b.cid, b.subject!]));
  const names = new Map<number, string>();
  await decryptedReferences(deps, manifest, known, names);
  for (const { finding, index } of unnamed) finding.reference = names.get(index);
  for (const index of missing) {
    report.findings.push({ kind: 'leaf-record-missing', window: window.windowId, root: window.root, reference: names.get(index), detail: `leaf ${index} of the anchored manifest has no row${names.has(index) ? '' : ' (not in any bundle this server can decrypt)'}` });
  }
}

/** Names of the versions in a window's bundles, by leaf index, decrypting with the known subject's key or, failing that, every key. */
async function decryptedReferences(deps: AuditDeps, manifest: AnchorManifest, known: Map<string, string>, names = new Map<number, string>()): Promise<string[]> {
  const subjects = await deps.backends.keys.subjects();
  for (const cid of manifest.bundles) {
    const sealed = await deps.content.bytes(cid).catch(() => undefined);
    if (!sealed) continue;
    const candidates = known.has(cid) ? [known.get(cid)!] : subjects;
    for (const subject of candidates) {
      const key = await deps.backends.keys.existingPatientKey(subject);
      if (!key) continue;
      let plaintext: Buffer;
      try {
        plaintext = openBundle(sealed, key);
      } catch {
        continue;
      }
      for (const entry of readBundle(plaintext)) names.set(entry.leafIndex, `${entry.type}/${entry.id}/_history/${entry.version}`);
      break;
    }
  }
  return [...names.values()];
}

async function locateManifest(content: VerifiedContent, digest: string): Promise<string | undefined> {
  for (const cid of manifestCidCandidates(digest)) if (await content.store.has(cid).catch(() => false)) return cid;
  return undefined;
}
