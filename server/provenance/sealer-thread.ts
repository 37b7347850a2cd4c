/**
 * The provenance sealer's thread (sealer.ts): salts and leaves for committed versions, and whole
 * anchor windows built from them — Merkle tree, per-patient bundles sealed under the keys it is
 * given, CIDs — with the versions it hashed kept here, in this thread's own heap, until their
 * window is built. It touches neither the database nor the key file nor the content store: the
 * main thread records what it returns.
 */
import { randomBytes } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { buildAnchorWindow, SHARED_SUBJECT, windowKeySubjects, type WindowVersion } from './anchor-window.ts';
import type { ContentStore } from './content-store.ts';
import { SALT_BYTES, writeLeaf } from './leaf.ts';
import { RecentLeaves, type RecentLeaf } from './recent-leaves.ts';
import type { HeldBatch, HeldVersion, SealerReply, SealerRequest, SealedWindow, VersionsToHash } from './sealer-protocol.ts';
import { unixfsCid } from './unixfs-cid.ts';
import { lowerThreadPriority } from './thread-priority.ts';

/** Committed versions not yet hashed, bounded like the cache it replaces: oldest dropped first. */
const MAX_HELD_BYTES = 32 * 1024 * 1024;
const held = new Map<string, HeldVersion>();
let heldBytes = 0;
/** Hashed batches waiting for the leaf numbers the database gives them (one or two at a time in practice). */
const MAX_PENDING_BATCHES = 16;
const pending = new Map<number, Array<{ rid: number; version: RecentLeaf['version'] }>>();
const recent = new RecentLeaves();
const port = parentPort!;
lowerThreadPriority((workerData as { nice?: number } | undefined)?.nice ?? 0);

const key = (rid: number, version: number) => `${rid}/${version}`;

function hold(batch: HeldBatch): void {
  const all = Buffer.from(batch.bytes);
  let start = 0;
  for (let i = 0; i < batch.rids.length; i++) {
    const end = batch.ends[i]!;
    const k = key(batch.rids[i]!, batch.versions[i]!);
    if (!held.has(k)) {
      held.set(k, { rid: batch.rids[i]!, version: batch.versions[i]!, bytes: all.subarray(start, end), subject: batch.subjects[batch.subjectOf[i]!]! });
      heldBytes += end - start;
    }
    start = end;
  }
  if (heldBytes <= MAX_HELD_BYTES) return;
  for (const [k, version] of held) {
    if (heldBytes <= MAX_HELD_BYTES) break;
    held.delete(k);
    heldBytes -= version.bytes.length;
  }
}

function take(rid: number, version: number): HeldVersion | undefined {
  const k = key(rid, version);
  const found = held.get(k);
  if (found) {
    held.delete(k);
    heldBytes -= found.bytes.length;
  }
  return found;
}

function hash(id: number, versions: VersionsToHash, contents: Array<{ json: string; subject: string }> | undefined): SealerReply {
  const { rids, generated } = versions;
  const count = rids.length;
  const found = contents ?? rids.map((rid, i) => take(rid, versions.versions[i]!));
  // Taken even after a miss, so a batch read from the database leaves nothing behind to pile up.
  if (found.some((entry) => entry === undefined)) return { id, missing: true };
  // Held versions arrived as bytes; contents read from the database are texts.
  const bytesOf = contents ? utf8Views(contents.map((entry) => entry.json)) : (i: number) => (found[i] as HeldVersion).bytes;
  const salts = randomBytes(SALT_BYTES * count);
  const leaves = Buffer.alloc(32 * count);
  const subjects: string[] = new Array(count);
  const hashed: Array<{ rid: number; version: RecentLeaf['version'] }> = new Array(count);
  for (let i = 0; i < count; i++) {
    const bytes = bytesOf(i);
    const salt = salts.subarray(i * SALT_BYTES, (i + 1) * SALT_BYTES);
    writeLeaf(salt, bytes, leaves, i * 32);
    const leaf = leaves.subarray(i * 32, (i + 1) * 32);
    subjects[i] = generated[i] ? SHARED_SUBJECT : found[i]!.subject;
    hashed[i] = { rid: rids[i]!, version: { type: versions.types[i]!, id: versions.ids[i]!, version: String(versions.versions[i]), bytes, salt, leaf, patient: subjects[i]! } };
  }
  pending.set(id, hashed);
  // A batch whose numbering never came (its process lost the lease mid-way) is not kept for ever.
  for (const old of pending.keys()) {
    if (pending.size <= MAX_PENDING_BATCHES) break;
    pending.delete(old);
  }
  return { id, hashed: { salts, leaves, subjects } };
}

/**
 * The texts' UTF-8 bytes as views into one buffer: one allocation per batch instead of one per
 * version (each of which the collector would track), where every text is ASCII — stored JSON
 * nearly always is, and then bytes and characters line up.
 */
function utf8Views(texts: string[]): (i: number) => Buffer {
  const joined = texts.join('');
  const all = Buffer.from(joined);
  if (all.length !== joined.length) return (i) => Buffer.from(texts[i]);
  const offsets = new Array<number>(texts.length + 1);
  offsets[0] = 0;
  for (let i = 0; i < texts.length; i++) offsets[i + 1] = offsets[i] + texts[i].length;
  return (i) => all.subarray(offsets[i], offsets[i + 1]);
}

function numbered(id: number, first: number | undefined): void {
  const batch = pending.get(id);
  pending.delete(id);
  // A redelivered batch with some leaves already recorded is not kept: the window is then read back.
  if (batch && first !== undefined) batch.forEach((entry, i) => recent.add(first + i, entry));
}

function windowSubjects(first: number, last: number): string[] | undefined {
  const versions = recent.window(first, last);
  return versions && windowKeySubjects(versions);
}

/** A window as stored blocks: CIDs computed here, the bytes returned for the main thread to store. */
async function seal(first: number, last: number, keys: Map<string, Buffer>, given: WindowVersion[] | undefined): Promise<SealedWindow> {
  const versions = given?.map(asBuffers) ?? recent.window(first, last);
  if (!versions) throw new Error(`window ${first}-${last} is not held here`);
  const blocks: SealedWindow['blocks'] = [];
  const collector: ContentStore = {
    put: async (bytes) => {
      const cid = await unixfsCid(bytes);
      blocks.push({ cid, bytes });
      return cid;
    },
    get: () => Promise.reject(new Error('the sealer stores nothing')),
    has: async () => false,
    close: async () => undefined,
  };
  const built = await buildAnchorWindow(versions, { content: collector, keys: { patientKeys: async () => keys }, concurrency: 1 });
  return { root: built.root, manifestCid: built.manifestCid, bundles: built.bundles, blocks };
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
        return hold(request.batch);
      case 'hash': {
        // Copied, not transferred: the versions kept here hold views into these salts.
        return port.postMessage(hash(request.id, request.versions, request.contents));
      }
      case 'numbered':
        return numbered(request.id, request.first);
      case 'window-subjects':
        return port.postMessage({ id: request.id, subjects: windowSubjects(request.first, request.last) } satisfies SealerReply);
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
        held.clear();
        heldBytes = 0;
        return;
    }
  } catch (error) {
    if ('id' in request) port.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) } satisfies SealerReply);
  }
});
port.postMessage('ready');
