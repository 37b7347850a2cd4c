import type { WindowVersion } from './anchor-window.ts';

/**
 * The versions of one commit as one message: numbers in arrays, the stored JSON texts' UTF-8
 * bytes back to back in one buffer (`ends[i]` is where version i's bytes end), subjects by
 * index. Not a joined string: a commit's 2 MB of text as one string was allocated twice in each
 * heap (joined, received, split and joined again to hash it), as large objects the old
 * generation's collector then had to mark; bytes stay off both heaps.
 */
export interface HeldBatch {
  rids: number[];
  versions: number[];
  bytes: ArrayBuffer;
  ends: number[];
  subjects: string[];
  subjectOf: number[];
}

/**
 * Versions to hash, in outbox order, as one array per field (version i is the i-th of each):
 * thousands a batch, and an object per version was both cloned into the thread and kept alive on
 * the main thread across the leaf insert. `generated` marks the pipeline's own window Provenance.
 */
export interface VersionsToHash {
  rids: number[];
  versions: number[];
  types: string[];
  ids: string[];
  generated: boolean[];
}

export type SealerRequest =
  | { kind: 'hold'; batch: HeldBatch }
  | { kind: 'hash'; id: number; versions: VersionsToHash; contents?: Array<{ json: string; subject: string }> }
  | { kind: 'numbered'; id: number; first?: number }
  | { kind: 'window-subjects'; id: number; first: number; last: number }
  | { kind: 'seal'; id: number; first: number; last: number; keys: Array<[string, Uint8Array]>; versions?: WindowVersion[] }
  | { kind: 'release'; first: number; last: number }
  | { kind: 'forget'; subject: string; rids: number[] }
  | { kind: 'clear-held' };

export interface HashReply {
  /** 32 bytes per version, in request order. */
  salts: Uint8Array;
  leaves: Uint8Array;
  /** Key subjects by index: version i's is subjectNames[subjectAt[i] - 1] (1-based, as the leaf run stores it). */
  subjectNames: string[];
  subjectAt: number[];
}

export interface SealedWindow {
  root: string;
  manifestCid: string;
  bundles: Array<{ cid: string; subject: string; leafIndices: number[] }>;
  /** Bytes to store, with the CID the sealer computed for each: every bundle, then the manifest last. */
  blocks: Array<{ cid: string; bytes: Uint8Array }>;
  /**
   * Versioned references to the window's versions in leaf order, when it was sealed from versions
   * the thread held (every one of them then has its bytes, none erased): what its Provenance names.
   */
  targets?: string[];
}

export type SealerReply =
  | { id: number; hashed: HashReply }
  /** Some version was not held: the caller reads them all from the database and asks again with contents. */
  | { id: number; missing: true }
  | { id: number; subjects: string[] | undefined }
  | { id: number; sealed: SealedWindow }
  | { id: number; error: string };
