import { createHash } from 'node:crypto';
import type { Queryable } from '../store/database.ts';
import { readCurrent, readVersion, type StoredVersion } from '../store/resource-reads.ts';
import type { ProvenanceBackends } from './backends.ts';
import { readBundleEntry } from './bundle.ts';
import { openBundle } from './envelope.ts';
import { isRetryable } from './errors.ts';
import { leafHash } from './leaf.ts';
import { runOfVersionSql } from './leaf-runs.ts';
import { cidHasDigest } from './manifest-digest.ts';
import { verifyInclusion } from './merkle.ts';
import type { VerifiedContent } from './verified-content.ts';
import { windowOfLeaf, type WindowRow } from './window-store.ts';

export type CheckName = 'stored-bytes' | 'merkle-proof' | 'on-chain' | 'bundle';
export type CheckOutcome = 'pass' | 'fail' | 'pending' | 'unavailable' | 'erased';

export interface VersionCheck {
  name: CheckName;
  outcome: CheckOutcome;
  reason: string;
}

export interface VersionVerification {
  /** verified: every check passed; pending: not anchored yet; failed: a check failed; unavailable: a back end could not answer. */
  status: 'verified' | 'pending' | 'failed' | 'unavailable' | 'erased';
  reference: string;
  checks: VersionCheck[];
  /** Where the version is anchored, once it is. */
  anchor?: { chainId: number; contract: string; txHash: string; blockNumber: number; blockTime: string; root: string; manifestCid: string; leafIndex: number; treeSize: number };
  erasedAt?: string;
}

export interface VerifyDeps {
  db: Queryable;
  backends: ProvenanceBackends;
  content: VerifiedContent;
}

export interface LeafRow {
  leafNo: number;
  salt: Buffer;
  leaf: Buffer;
  subject: string;
}

/** The version asked for (the current one without `version`), or where its absence is explained. */
export async function findVersion(db: Queryable, type: string, id: string, version?: number): Promise<StoredVersion | { erasedAt: string } | undefined> {
  const stored = version === undefined ? await readCurrent(db, type, id) : await readVersion(db, type, id, version);
  if (stored) return stored;
  const { rows } = await db.query<{ erased_at: Date }>('SELECT erased_at FROM provenance_erasure WHERE key_hash = $1', [erasureKey(type, id)]);
  return rows[0] ? { erasedAt: rows[0].erased_at.toISOString() } : undefined;
}

export function erasureKey(type: string, id: string): Buffer {
  return createHash('sha256').update(`${type}/${id}`).digest();
}

export async function leafOf(db: Queryable, rid: number, version: number): Promise<LeafRow | undefined> {
  const { rows } = await db.query<any>(
    `SELECT l.leaf_no, l.subject, substring(r.salts FROM (l.position::integer - 1) * 32 + 1 FOR 32) AS salt, substring(r.leaves FROM (l.position::integer - 1) * 32 + 1 FOR 32) AS leaf
       FROM (${runOfVersionSql('$1', '$2')}) AS l JOIN provenance_leaf_run r ON r.first_leaf = l.first_leaf`,
    [rid, version],
  );
  return rows[0] ? { leafNo: Number(rows[0].leaf_no), salt: Buffer.from(rows[0].salt), leaf: Buffer.from(rows[0].leaf), subject: rows[0].subject } : undefined;
}

/**
 * The four checks of $verify for one stored content version:
 *   stored-bytes  the bytes in resource_version hash, with the version's salt, to its leaf;
 *   merkle-proof  the leaf sits at its index in the window's manifest (fetched by CID from the
 *                 content store, not from the database) and its audit path reaches the manifest's root;
 *   on-chain      the transaction recorded for the window holds an Anchored event of that root and
 *                 that manifest on the chain this server anchors to;
 *   bundle        the encrypted bundle, fetched by CID, decrypts under the patient's key to an
 *                 entry with exactly the stored bytes and salt.
 * A version not anchored yet reports `pending` for the checks that cannot run yet.
 */
export async function verifyStoredVersion(deps: VerifyDeps, stored: StoredVersion): Promise<VersionVerification> {
  const reference = `${stored.type}/${stored.id}/_history/${stored.version}`;
  const checks: VersionCheck[] = [];
  const add = (name: CheckName, outcome: CheckOutcome, reason: string) => checks.push({ name, outcome, reason });
  const pendingRest = (from: CheckName[], reason: string) => from.forEach((name) => add(name, 'pending', reason));
  const bytes = Buffer.from(stored.json!);

  const leaf = await leafOf(deps.db, stored.rid, stored.version);
  if (!leaf) {
    pendingRest(['stored-bytes', 'merkle-proof', 'on-chain', 'bundle'], 'the provenance pipeline has not recorded a leaf for this version yet');
    return { status: 'pending', reference, checks };
  }
  const bytesMatch = leafHash(leaf.salt, bytes).equals(leaf.leaf);
  add('stored-bytes', bytesMatch ? 'pass' : 'fail', bytesMatch ? 'the stored bytes and the version\'s salt hash to its leaf' : 'the stored bytes do not hash to the leaf recorded when the version was committed: they were changed afterwards');

  const window = await windowOfLeaf(deps.db, leaf.leafNo);
  if (!window || window.status === 'open') {
    pendingRest(['merkle-proof', 'on-chain', 'bundle'], 'the version waits for its anchor window to be built');
    return { status: bytesMatch ? 'pending' : 'failed', reference, checks };
  }
  const leafIndex = leaf.leafNo - window.firstLeaf;
  const treeSize = window.lastLeaf - window.firstLeaf + 1;
  await attempt(add, 'merkle-proof', () => merkleCheck(deps, window, leaf, leafIndex, treeSize));
  if (window.status === 'built' || !window.anchor) add('on-chain', 'pending', 'the window is built and waits to be anchored');
  else await attempt(add, 'on-chain', () => chainCheck(deps, window));
  await attempt(add, 'bundle', () => bundleCheck(deps, window, leaf, leafIndex, bytes));

  const outcomes = new Set(checks.map((c) => c.outcome));
  const status = outcomes.has('fail') ? 'failed' : outcomes.has('unavailable') ? 'unavailable' : outcomes.has('pending') ? 'pending' : 'verified';
  return {
    status,
    reference,
    checks,
    ...(window.anchor ? { anchor: { ...window.anchor, root: window.root!, manifestCid: window.manifestCid!, leafIndex, treeSize } } : {}),
  };
}

type Verdict = [CheckOutcome, string];

async function attempt(add: (name: CheckName, outcome: CheckOutcome, reason: string) => void, name: CheckName, run: () => Promise<Verdict>): Promise<void> {
  try {
    add(name, ...(await run()));
  } catch (err) {
    add(name, isRetryable(err) ? 'unavailable' : 'fail', (err as Error).message);
  }
}

async function merkleCheck(deps: VerifyDeps, window: WindowRow, leaf: LeafRow, leafIndex: number, treeSize: number): Promise<Verdict> {
  const { manifest, tree } = await deps.content.manifest(window.manifestCid!);
  if (manifest.root !== window.root || manifest.leafCount !== treeSize) return ['fail', `manifest ${window.manifestCid} is for root ${manifest.root} with ${manifest.leafCount} leaves, not the window's`];
  if (manifest.leaves[leafIndex] !== leaf.leaf.toString('hex')) return ['fail', `manifest ${window.manifestCid} holds another leaf at index ${leafIndex}: the version's provenance record was changed`];
  const ok = verifyInclusion(leaf.leaf, leafIndex, treeSize, tree.proof(leafIndex), Buffer.from(manifest.root.slice(2), 'hex'));
  return ok ? ['pass', `leaf ${leafIndex} of ${treeSize} leads to root ${manifest.root} (manifest ${window.manifestCid})`] : ['fail', 'the audit path does not reach the root'];
}

async function chainCheck(deps: VerifyDeps, window: WindowRow): Promise<Verdict> {
  const anchor = window.anchor!;
  const ledger = await deps.backends.ledger();
  const [chainId, contract] = [await ledger.chainId(), await ledger.contractAddress()];
  if (chainId !== anchor.chainId || contract.toLowerCase() !== anchor.contract.toLowerCase()) {
    return ['unavailable', `anchored on chain ${anchor.chainId} at ${anchor.contract}, but this server reads chain ${chainId} at ${contract}`];
  }
  const records = await ledger.anchorsInTransaction(anchor.txHash);
  const match = records.find((r) => r.root.toLowerCase() === window.root && cidHasDigest(window.manifestCid!, r.manifestDigest));
  if (!match) return ['fail', `transaction ${anchor.txHash} does not anchor root ${window.root} with manifest ${window.manifestCid}`];
  if (match.blockNumber !== anchor.blockNumber) return ['fail', `transaction ${anchor.txHash} is in block ${match.blockNumber}, not ${anchor.blockNumber}`];
  return ['pass', `root ${window.root} anchored in block ${match.blockNumber}, transaction ${match.txHash}, chain ${chainId}`];
}

async function bundleCheck(deps: VerifyDeps, window: WindowRow, leaf: LeafRow, leafIndex: number, bytes: Buffer): Promise<Verdict> {
  const { rows } = await deps.db.query<{ cid: string }>('SELECT cid FROM provenance_bundle WHERE window_id = $1 AND subject = $2', [window.windowId, leaf.subject]);
  if (!rows[0]) return ['fail', 'no encrypted bundle of this version\'s patient in its window (the version changed before it was anchored, or the record is missing)'];
  const { manifest } = await deps.content.manifest(window.manifestCid!);
  if (!manifest.bundles.includes(rows[0].cid)) return ['fail', `bundle ${rows[0].cid} is not listed in the window's manifest`];
  const key = await deps.backends.keys.existingPatientKey(leaf.subject);
  if (!key) return ['fail', 'the key of this version\'s patient no longer exists (erased)'];
  const entry = readBundleEntry(openBundle(await deps.content.bytes(rows[0].cid), key), leafIndex);
  if (!entry) return ['fail', `bundle ${rows[0].cid} has no entry for leaf ${leafIndex}`];
  if (!entry.salt.equals(leaf.salt)) return ['fail', `bundle ${rows[0].cid} holds another salt for this version`];
  if (!entry.bytes.equals(bytes)) return ['fail', `bundle ${rows[0].cid} decrypts to different bytes than the database holds: the stored version was changed after it was anchored`];
  return ['pass', `bundle ${rows[0].cid} decrypts to the identical ${bytes.length} bytes`];
}
