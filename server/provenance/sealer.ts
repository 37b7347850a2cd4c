import type { Worker } from 'node:worker_threads';
import type { CommittedWrite } from '../store/repository.ts';
import { startTypeScriptWorker } from '../typescript-worker.ts';
import type { WindowVersion } from './anchor-window.ts';
import { ProvenanceUnavailableError } from './errors.ts';
import type { KeySubjects } from './key-subject.ts';
import type { HashReply, HeldBatch, SealedWindow, SealerReply, SealerRequest, VersionsToHash } from './sealer-protocol.ts';

/** A request that expects a reply, before call() gives it its id. */
type Call = Extract<SealerRequest, { id: number }> extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

interface Waiter {
  resolve(reply: SealerReply): void;
  reject(error: Error): void;
}

/** A buffer with `more` bytes of room past `used`, holding the first `used` bytes of `buffer`. */
function grown(buffer: Buffer, used: number, more: number): Buffer {
  const larger = Buffer.allocUnsafeSlow(Math.max(buffer.length * 2, used + more));
  buffer.copy(larger, 0, 0, used);
  return larger;
}

/** Sealed windows whose targets are kept for their Provenance; beyond, the oldest are read back. */
const MAX_KEPT_TARGETS = 64;

/**
 * The CPU and memory side of the provenance pipeline, on a thread of its own (sealer-thread.ts):
 * the content of every committed version goes there right after COMMIT, is salted and hashed
 * there when the outbox consumer reaches it, and waits there, as the bytes its leaf was computed
 * from, until its window is sealed into per-patient bundles. The main thread keeps the database
 * work (leaf runs, windows, anchors) and the keys.
 *
 * Why a thread: on the main thread that content was promoted into the old generation of a heap
 * that holds the server's FHIR definitions (some 200 MB), and the collector then marked that whole
 * heap over and over; with device ingestion and provenance both on, garbage collection took more
 * CPU than the pipeline itself. This thread's heap holds little besides the versions in flight.
 *
 * What it keeps is a cache: lost with the thread (a crash, a restart), and every miss is read from
 * the database, as before.
 */
export class Sealer {
  private worker: Promise<Worker> | undefined;
  private readonly waiters = new Map<number, Waiter>();
  private nextId = 1;
  /** By `first-last` leaf: the references of windows sealed from held versions, until anchored. */
  private readonly targets = new Map<string, string[]>();

  constructor(
    private readonly subjects: KeySubjects,
    /** Niceness of the thread (thread-priority.ts). */
    private readonly nice = 0,
  ) {}

  /** Hands over the versions a transaction committed (called from the repository's committed event). */
  hold(results: readonly CommittedWrite[]): void {
    const rids: number[] = [];
    const versions: number[] = [];
    const subjects: string[] = [];
    const subjectOf: number[] = [];
    const jsons: string[] = [];
    let size = 0;
    const subjectIndex = new Map<string, number>();
    for (const result of results) {
      if (result.json === undefined || result.resource === undefined || result.action === 'none') continue;
      const subject = this.subjects.of(result.type, result.id, result.resource);
      let index = subjectIndex.get(subject);
      if (index === undefined) subjectIndex.set(subject, (index = subjects.push(subject) - 1));
      rids.push(result.rid);
      versions.push(result.version);
      subjectOf.push(index);
      jsons.push(result.json);
      // Exact for ASCII, which stored JSON nearly always is; a longer UTF-8 text is measured.
      size += result.json.length;
    }
    if (jsons.length === 0) return;
    let buffer: Buffer = Buffer.allocUnsafeSlow(size);
    const ends: number[] = new Array(jsons.length);
    let end = 0;
    for (let i = 0; i < jsons.length; i++) {
      const json = jsons[i]!;
      if (buffer.length - end < 3 * json.length && end + Buffer.byteLength(json) > buffer.length) buffer = grown(buffer, end, Buffer.byteLength(json));
      end += buffer.write(json, end);
      ends[i] = end;
    }
    // Its own ArrayBuffer (allocUnsafeSlow, never the shared pool), so that only these bytes are
    // copied. Copied, not transferred: V8 counts a transferred buffer against this thread's
    // external memory until the next full collection, and these buffers alone then forced one
    // about every 80 MB, each marking the server's ~150 MB heap (scratch: 400 × 1 MB posted, five
    // mark-compacts transferred, none copied). A copy dies young and goes with a scavenge.
    const batch: HeldBatch = { rids, versions, bytes: buffer.buffer as ArrayBuffer, ends, subjects, subjectOf };
    void this.post({ kind: 'hold', batch }).catch(() => undefined);
  }

  /**
   * Salts and leaves for versions in outbox order: from the held content, or from `contents` (read
   * from the database) when given. 'missing' when a version was not held: ask again with contents.
   * The hashed batch waits in the thread until numbered(batch) says which leaf numbers it got.
   */
  async hash(versions: VersionsToHash, contents?: Array<{ json: string; subject: string }>): Promise<(HashReply & { batch: number }) | 'missing'> {
    const reply = await this.call({ kind: 'hash', versions, contents });
    if ('missing' in reply) return 'missing';
    if (!('hashed' in reply)) throw new Error('unexpected sealer reply');
    return { ...reply.hashed, batch: reply.id };
  }

  /** The leaf numbers a hashed batch got (first, first + 1, …), or undefined when not all of it was recorded. */
  numbered(batch: number, first: number | undefined): void {
    void this.post({ kind: 'numbered', id: batch, first }).catch(() => undefined);
  }

  /** The key subjects of a window the thread holds whole, or undefined when it must be read back. */
  async windowSubjects(first: number, last: number): Promise<string[] | undefined> {
    const reply = await this.call({ kind: 'window-subjects', first, last });
    if (!('subjects' in reply)) throw new Error('unexpected sealer reply');
    return reply.subjects;
  }

  /** Seals a window from the versions held (or `versions` read back) under `keys`; nothing is stored yet. */
  async seal(first: number, last: number, keys: Map<string, Buffer>, versions?: WindowVersion[]): Promise<SealedWindow> {
    const reply = await this.call({ kind: 'seal', first, last, keys: [...keys], versions });
    if (!('sealed' in reply)) throw new Error('unexpected sealer reply');
    if (reply.sealed.targets) {
      this.targets.set(`${first}-${last}`, reply.sealed.targets);
      for (const old of this.targets.keys()) {
        if (this.targets.size <= MAX_KEPT_TARGETS) break;
        this.targets.delete(old);
      }
    }
    return reply.sealed;
  }

  /**
   * The references a window sealed here names, once (its Provenance is written when it is
   * anchored): a thousand leaves each joined to their resource spared. Undefined when the window
   * was sealed from the database, by another process or before a restart, or an erasure came since.
   */
  windowTargets(first: number, last: number): string[] | undefined {
    const key = `${first}-${last}`;
    const targets = this.targets.get(key);
    this.targets.delete(key);
    return targets;
  }

  /** Forgets a window's versions once it is built. */
  release(first: number, last: number): void {
    void this.post({ kind: 'release', first, last }).catch(() => undefined);
  }

  /** $erase: drops the patient's versions, and every version not hashed yet. */
  async forget(subject: string, rids: number[]): Promise<void> {
    // The patient's versions may be among the targets kept: those windows' Provenances read theirs back.
    this.targets.clear();
    await this.post({ kind: 'forget', subject, rids });
    await this.post({ kind: 'clear-held' });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await (await worker?.catch(() => undefined))?.terminate();
    this.failAll(new ProvenanceUnavailableError('content', 'the sealer was closed'));
  }

  private async call(request: Call): Promise<SealerReply> {
    const id = this.nextId++;
    const reply = await new Promise<SealerReply>((resolve, reject) => {
      this.waiters.set(id, { resolve, reject });
      this.post({ ...request, id } as SealerRequest).catch((error) => {
        this.waiters.delete(id);
        reject(error);
      });
    });
    if ('error' in reply) throw new Error(`sealer: ${reply.error}`);
    return reply;
  }

  private async post(request: SealerRequest): Promise<void> {
    (await this.thread()).postMessage(request);
  }

  private thread(): Promise<Worker> {
    this.worker ??= new Promise<Worker>((resolve, reject) => {
      const worker = startTypeScriptWorker(new URL('./sealer-thread.ts', import.meta.url), { workerData: { nice: this.nice } });
      worker.unref();
      const lost = (error: Error) => {
        if (this.worker === started) this.worker = undefined;
        this.failAll(error);
        reject(error);
      };
      worker.on('error', lost);
      worker.on('exit', (code) => lost(new ProvenanceUnavailableError('content', `the sealer thread stopped (exit code ${code})`)));
      worker.on('message', (message: SealerReply | 'ready') => {
        if (message === 'ready') return resolve(worker);
        const waiter = this.waiters.get(message.id);
        this.waiters.delete(message.id);
        waiter?.resolve(message);
      });
    });
    const started = this.worker;
    return started;
  }

  private failAll(error: Error): void {
    for (const waiter of this.waiters.values()) waiter.reject(error);
    this.waiters.clear();
  }
}
