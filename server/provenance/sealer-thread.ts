/**
 * The provenance sealer's thread (sealer.ts): salts and leaves for committed versions, and whole
 * anchor windows built from them — Merkle tree, per-patient bundles sealed under the keys it is
 * given, CIDs — with the versions it hashed kept here, in this thread's own heap, until their
 * window is built. It touches neither the database nor the key file nor the content store: the
 * main thread records what it returns.
 */
import { randomBytes } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { buildAnchorWindow, SHARED_SUBJECT, type WindowVersion } from './anchor-window.ts';
import type { ContentStore } from './content-store.ts';
import { SALT_BYTES, writeLeaf } from './leaf.ts';
import { HeldVersions } from './held-versions.ts';
import { RecentLeaves, type LeafRun } from './recent-leaves.ts';
import type { HashReply, SealerReply, SealerRequest, SealedWindow, VersionsToHash } from './sealer-protocol.ts';
import { unixfsCid } from './unixfs-cid.ts';
import { lowerThreadPriority } from './thread-priority.ts';

/** Committed versions not yet hashed, bounded like the cache it replaces: oldest dropped first. */
const held = new HeldVersions();
/** Hashed batches waiting for the leaf numbers the database gives them (one or two at a time in practice). */
const MAX_PENDING_BATCHES = 16;
const pending = new Map<number, Omit<LeafRun, 'first'>>();
const recent = new RecentLeaves();
const port = parentPort!;
lowerThreadPriority((workerData as { nice?: number } | undefined)?.nice ?? 0);

function hash(id: number, versions: VersionsToHash, contents: Array<{ json: string; subject: string }> | undefined): SealerReply {
  const { rids, generated } = versions;
  const count = rids.length;
  const sources: Buffer[] = new Array(count);
  const starts: number[] = new Array(count);
  const ends: number[] = new Array(count);
  const subjects: string[] = new Array(count);
  if (contents) {
    placeTexts(contents.map((entry) => entry.json), sources, starts, ends);
    for (let i = 0; i < count; i++) subjects[i] = contents[i]!.subject;
  } else {
    let missing = false;
    // Taken even after a miss, so a batch read from the database leaves nothing behind to pile up.
    for (let i = 0; i < count; i++) {
      const found = held.take(rids[i]!, versions.versions[i]!);
      if (!found) {
        missing = true;
        continue;
      }
      sources[i] = found.source;
      starts[i] = found.start;
      ends[i] = found.end;
      subjects[i] = found.subject;
    }
    if (missing) return { id, missing: true };
  }
  const salts = randomBytes(SALT_BYTES * count);
  const leaves = Buffer.alloc(32 * count);
  for (let i = 0; i < count; i++) {
    writeLeaf(salts.subarray(i * SALT_BYTES, (i + 1) * SALT_BYTES), sources[i]!.subarray(starts[i], ends[i]), leaves, i * 32);
    if (generated[i]) subjects[i] = SHARED_SUBJECT;
  }
  pending.set(id, { rids, types: versions.types, ids: versions.ids, versions: versions.versions, subjects, sources, starts, ends, salts, leaves });
  // A batch whose numbering never came (its process lost the lease mid-way) is not kept for ever.
  for (const old of pending.keys()) {
    if (pending.size <= MAX_PENDING_BATCHES) break;
    pending.delete(old);
  }
  return { id, hashed: { salts, leaves, ...subjectIndex(subjects) } };
}

/**
 * Subjects as a dictionary: a batch names a few patients over and over, and each name would be
 * cloned into the main thread and sent to the database once per version.
 */
function subjectIndex(subjects: string[]): Pick<HashReply, 'subjectNames' | 'subjectAt'> {
  const subjectNames: string[] = [];
  const subjectAt: number[] = new Array(subjects.length);
  const known = new Map<string, number>();
  for (let i = 0; i < subjects.length; i++) {
    const subject = subjects[i]!;
    let at = known.get(subject);
    if (at === undefined) known.set(subject, (at = subjectNames.push(subject)));
    subjectAt[i] = at;
  }
  return { subjectNames, subjectAt };
}

/**
 * Where each text's UTF-8 bytes are: views into one buffer (one allocation per batch instead of
 * one per version) where every text is ASCII — stored JSON nearly always is, and then bytes and
 * characters line up; else a buffer per text.
 */
function placeTexts(texts: string[], sources: Buffer[], starts: number[], ends: number[]): void {
  const joined = texts.join('');
  const all = Buffer.from(joined);
  const ascii = all.length === joined.length;
  let offset = 0;
  for (let i = 0; i < texts.length; i++) {
    sources[i] = ascii ? all : Buffer.from(texts[i]!);
    starts[i] = ascii ? offset : 0;
    ends[i] = ascii ? offset + texts[i]!.length : sources[i]!.length;
    offset += texts[i]!.length;
  }
}

function numbered(id: number, first: number | undefined): void {
  const batch = pending.get(id);
  pending.delete(id);
  // A redelivered batch with some leaves already recorded is not kept: the window is then read back.
  if (batch && first !== undefined) recent.add({ ...batch, first });
}

/** A window as stored blocks: CIDs computed here, the bytes returned for the main thread to store. */
async function seal(first: number, last: number, keys: Map<string, Buffer>, given: WindowVersion[] | undefined): Promise<SealedWindow> {
  const versions = given?.map(asBuffers) ?? recent.window(first, last);
  if (!versions) throw new Error(`window ${first}-${last} is not held here`);
  const collector = new BlockCollector();
  const built = await buildAnchorWindow(versions, { content: collector, keys: new GivenKeys(keys), concurrency: 1 });
  return { root: built.root, manifestCid: built.manifestCid, bundles: built.bundles, blocks: collector.blocks, ...(given ? {} : { targets: references(versions) }) };
}

function references(versions: readonly WindowVersion[]): string[] {
  const out = new Array<string>(versions.length);
  for (let i = 0; i < versions.length; i++) out[i] = `${versions[i]!.type}/${versions[i]!.id}/_history/${versions[i]!.version}`;
  return out;
}

/** A window's blocks with their CIDs, for the main thread to store (classes, not closures made per window (server/ingest/README.md, "Optimized code")). */
class BlockCollector implements ContentStore {
  readonly blocks: SealedWindow['blocks'] = [];

  async put(bytes: Uint8Array): Promise<string> {
    const cid = await unixfsCid(bytes);
    this.blocks.push({ cid, bytes });
    return cid;
  }

  get(): Promise<Uint8Array> {
    return Promise.reject(new Error('the sealer stores nothing'));
  }

  async has(): Promise<boolean> {
    return false;
  }

  async close(): Promise<void> {}
}

class GivenKeys {
  constructor(private readonly keys: Map<string, Buffer>) {}

  async patientKeys(): Promise<Map<string, Buffer>> {
    return this.keys;
  }
}

/** Buffers arrive from another thread as plain Uint8Arrays; the window builder checks for Buffers. */
function asBuffers(version: WindowVersion): WindowVersion {
  const buffer = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : undefined);
  return { ...version, bytes: buffer(version.bytes), salt: buffer(version.salt), leaf: buffer(version.leaf) };
}

port.on('message', async (request: SealerRequest) => {
  try {
    switch (request.kind) {
      case 'hold':
        return held.hold(request.batch);
      case 'hash': {
        // Copied, not transferred: the versions kept here hold views into these salts.
        return port.postMessage(hash(request.id, request.versions, request.contents));
      }
      case 'numbered':
        return numbered(request.id, request.first);
      case 'window-subjects':
        return port.postMessage({ id: request.id, subjects: recent.subjects(request.first, request.last) } satisfies SealerReply);
      case 'seal': {
        const keys = new Map(request.keys.map(([subject, k]) => [subject, Buffer.from(k.buffer, k.byteOffset, k.byteLength)]));
        const sealed = await seal(request.first, request.last, keys, request.versions);
        return port.postMessage({ id: request.id, sealed } satisfies SealerReply);
      }
      case 'release':
        return recent.release(request.first, request.last);
      case 'forget':
        return recent.forget(request.subject, new Set(request.rids));
      case 'clear-held':
        return held.clear();
    }
  } catch (error) {
    if ('id' in request) port.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) } satisfies SealerReply);
  }
});
port.postMessage('ready');
