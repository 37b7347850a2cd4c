import { bundleBytes, type BundleEntry } from './bundle.ts';
import type { ContentStore } from './content-store.ts';
import { sealBundle } from './envelope.ts';
import { ProvenanceFailureError } from './errors.ts';
import type { KeyStore } from './key-store.ts';
import { leafHash } from './leaf.ts';
import { createManifest, manifestBytes, type AnchorManifest } from './manifest.ts';
import { MerkleTree } from './merkle.ts';

/** Key subject for versions outside any patient compartment ('#' cannot occur in a FHIR id or reference). */
export const SHARED_SUBJECT = '#shared';

export interface WindowVersion {
  type: string;
  id: string;
  version: string;
  /**
   * The exact stored JSON bytes of the version: a JSON object, no surrounding whitespace. Absent
   * for a leaf whose version is gone (erased): the leaf is still anchored, with no bundle entry.
   */
  bytes?: Buffer;
  /** Per-version random salt (newSalt(), 32 bytes), persisted with the version; required with `bytes`. */
  salt?: Buffer;
  /**
   * The leaf as computed when the version was committed (trusted as given: the caller hashed these
   * very bytes); computed from salt and bytes when absent.
   */
  leaf?: Buffer;
  /** Patient compartment key (e.g. "Patient/123"); versions without one share SHARED_SUBJECT's key. */
  patient?: string;
}

/** A version with its bytes, as every version is until erased. */
export type ContentVersion = WindowVersion & { bytes: Buffer; salt: Buffer };

export interface WindowEntry {
  type: string;
  id: string;
  version: string;
  leafIndex: number;
  /** Leaf value, 64 hex digits. */
  leaf: string;
  /** Undefined for a leaf without bytes (nothing of it is in any bundle). */
  bundleCid?: string;
  /** RFC 9162 audit path (hex, leaf upwards): with leafIndex and the window size it proves the leaf. */
  path: string[];
}

export interface AnchorWindow {
  /** 0x-prefixed Merkle root: what `Ledger.anchor` takes. */
  root: string;
  manifestCid: string;
  manifest: AnchorManifest;
  /** One per input version, in input order (= leaf order). */
  entries: WindowEntry[];
  bundles: { cid: string; subject: string; leafIndices: number[] }[];
}

/** The keys a window's bundles are sealed under: one per patient among its versions with bytes. */
export function windowKeySubjects(versions: readonly WindowVersion[]): string[] {
  return [...new Set(versions.filter((v) => v.bytes).map((v) => v.patient ?? SHARED_SUBJECT))];
}

export interface AnchorWindowDeps {
  content: ContentStore;
  keys: Pick<KeyStore, 'patientKeys'>;
  /** Bundles written to the content store at once. */
  concurrency?: number;
}

/**
 * Turns one window of committed versions into everything that gets anchored: leaves and their Merkle
 * tree, one encrypted FHIR Bundle per patient compartment stored as content-addressed blocks, then
 * the manifest (stored last, so it never names a bundle that is not stored). Anchoring the returned
 * root and manifest CID is the caller's next step, after it has persisted the result.
 *
 * Deterministic for the same input and keys (see envelope.ts): rebuilding a window after a crash
 * gives the same CIDs and root. Content-store errors propagate typed (retry on Unavailable).
 */
export async function buildAnchorWindow(versions: readonly WindowVersion[], deps: AnchorWindowDeps): Promise<AnchorWindow> {
  if (versions.length === 0) throw new ProvenanceFailureError('content', 'an anchor window needs at least one version');
  // Loops, here and in sealBundles, not callbacks made per window (server/ingest/README.md, "Optimized code").
  const leaves = new Array<Buffer>(versions.length);
  const groups = new Map<string, number[]>();
  for (let i = 0; i < versions.length; i++) {
    const v = versions[i]!;
    checkVersion(v, i);
    leaves[i] = v.leaf ?? leafHash(v.salt!, v.bytes!);
    if (!v.bytes) continue;
    const subject = v.patient ?? SHARED_SUBJECT;
    const members = groups.get(subject);
    if (members) members.push(i);
    else groups.set(subject, [i]);
  }
  const tree = MerkleTree.build(leaves);
  const keys = await deps.keys.patientKeys(groups.keys());

  const sealing: BundleSealing = { versions, groups, subjects: [...groups.keys()], keys, content: deps.content, cids: [], next: 0 };
  const sealers: Promise<void>[] = [];
  for (let n = Math.min(deps.concurrency ?? 8, sealing.subjects.length); n > 0; n--) sealers.push(sealBundles(sealing));
  await Promise.all(sealers);
  const { subjects, cids } = sealing;

  const bundleOf = new Array<string | undefined>(versions.length);
  const bundles: AnchorWindow['bundles'] = new Array(subjects.length);
  for (let g = 0; g < subjects.length; g++) {
    const leafIndices = groups.get(subjects[g]!)!;
    for (const i of leafIndices) bundleOf[i] = cids[g];
    bundles[g] = { cid: cids[g]!, subject: subjects[g]!, leafIndices };
  }
  const manifest = createManifest(leaves, tree.root, cids);
  const manifestCid = await deps.content.put(manifestBytes(manifest));

  return {
    root: manifest.root,
    manifestCid,
    manifest,
    // Computed when asked for: the pipeline records root, manifest and bundles, and an audit path
    // for every leaf of every window would be ten thousand hex strings per window for nothing.
    get entries() {
      return entries();
    },
    bundles,
  };

  function entries(): WindowEntry[] {
    return versions.map((v, i) => ({
      type: v.type,
      id: v.id,
      version: v.version,
      leafIndex: i,
      leaf: manifest.leaves[i],
      ...(bundleOf[i] ? { bundleCid: bundleOf[i] } : {}),
      path: tree.proof(i).map((node) => node.toString('hex')),
    }));
  }
}

/** One window's bundles being sealed and stored by a few concurrent sealBundles calls. */
interface BundleSealing {
  versions: readonly WindowVersion[];
  groups: Map<string, number[]>;
  subjects: string[];
  keys: Map<string, Buffer>;
  content: ContentStore;
  /** The CID of subject g's bundle, at g. */
  cids: string[];
  /** The next subject no call has taken yet. */
  next: number;
}

async function sealBundles(sealing: BundleSealing): Promise<void> {
  const { versions, subjects } = sealing;
  for (let g = sealing.next++; g < subjects.length; g = sealing.next++) {
    const members = sealing.groups.get(subjects[g]!)!;
    const entries = new Array<BundleEntry>(members.length);
    for (let m = 0; m < members.length; m++) {
      const i = members[m]!;
      const v = versions[i]!;
      entries[m] = { type: v.type, id: v.id, version: v.version, bytes: v.bytes!, salt: v.salt!, leafIndex: i };
    }
    sealing.cids[g] = await sealing.content.put(sealBundle(bundleBytes(entries), sealing.keys.get(subjects[g]!)!));
  }
}

function checkVersion(v: WindowVersion, i: number): void {
  const problem =
    !v.type || !v.id || !v.version ? 'type, id and version are required'
    : v.bytes === undefined ? (!Buffer.isBuffer(v.leaf) || v.leaf.length !== 32 ? 'a version without bytes needs its 32-byte leaf' : undefined)
    : !Buffer.isBuffer(v.bytes) || v.bytes[0] !== 0x7b || v.bytes[v.bytes.length - 1] !== 0x7d ? 'bytes must be the stored JSON object, without surrounding whitespace'
    : !Buffer.isBuffer(v.salt) || v.salt.length < 16 ? 'salt must be at least 16 random bytes'
    : v.leaf !== undefined && (!Buffer.isBuffer(v.leaf) || v.leaf.length !== 32) ? 'a given leaf is 32 bytes'
    : v.patient === '' ? 'patient, when given, must not be empty'
    : undefined;
  if (problem) throw new ProvenanceFailureError('content', `window version ${i} (${v.type}/${v.id}/_history/${v.version}): ${problem}`);
}
