import type { HeldBatch } from './sealer-protocol.ts';

/** One commit's versions as they arrived: its columns and its one buffer of bytes, kept whole. */
interface HeldCommit {
  /** Handle of its first version; version i's handle is base + i. */
  base: number;
  rids: number[];
  versions: number[];
  bytes: Buffer;
  ends: number[];
  subjects: string[];
  subjectOf: number[];
  /** Versions not taken yet. */
  remaining: number;
}

/** Where a held version's bytes are, and its key subject. */
export interface HeldLocation {
  source: Buffer;
  start: number;
  end: number;
  subject: string;
}

/**
 * The committed versions the sealer thread was handed and has not hashed yet, kept as the commits
 * arrived: a version is a number (its handle) in a map keyed by rid, not an object of its own.
 * An object, a key string and a buffer view per version, alive from commit until hashed, were
 * what this thread's scavenges copied (with RecentLeaves' entries: 47 scavenges pausing 686 ms
 * in all over a 100,000-reading burst, against 28 and 310 ms kept as columns; scratch, wall time).
 *
 * Bounded in bytes, oldest commit dropped first; a miss is read back from the database and parsed
 * on the main thread, which costs more than holding the bytes. At 32 MB a burst of 100,000
 * readings, during which the consumer falls behind, had a quarter of its versions read back; at
 * 128 MB none. The bytes are off the heap, in one buffer per commit.
 */
export class HeldVersions {
  private commits: HeldCommit[] = [];
  /** rid → handle; a second version of a rid held at once goes in `others`. */
  private readonly byRid = new Map<number, number>();
  private readonly others = new Map<string, number>();
  private nextBase = 0;
  private bytes = 0;

  constructor(private readonly maxBytes = 128 * 1024 * 1024) {}

  hold(batch: HeldBatch): void {
    const commit: HeldCommit = { base: this.nextBase, rids: batch.rids, versions: batch.versions, bytes: Buffer.from(batch.bytes), ends: batch.ends, subjects: batch.subjects, subjectOf: batch.subjectOf, remaining: 0 };
    this.nextBase += batch.rids.length;
    // In the list before its versions go in the maps: a commit can hold two versions of one rid.
    this.commits.push(commit);
    for (let i = 0; i < batch.rids.length; i++) {
      const rid = batch.rids[i]!;
      const version = batch.versions[i]!;
      if (this.find(rid, version) !== undefined) continue;
      const handle = commit.base + i;
      if (this.byRid.has(rid)) this.others.set(otherKey(rid, version), handle);
      else this.byRid.set(rid, handle);
      commit.remaining++;
      this.bytes += commit.ends[i]! - startOf(commit, i);
    }
    if (commit.remaining === 0) this.commits.pop();
    while (this.bytes > this.maxBytes && this.commits.length > 0) this.drop(this.commits.shift()!);
  }

  /** Takes a version out: where its bytes are, or undefined when it is not held. */
  take(rid: number, version: number): HeldLocation | undefined {
    const handle = this.find(rid, version);
    if (handle === undefined) return undefined;
    const commit = this.commitOf(handle)!;
    const i = handle - commit.base;
    this.unmap(commit, i);
    const start = startOf(commit, i);
    commit.remaining--;
    while (this.commits.length > 0 && this.commits[0]!.remaining === 0) this.commits.shift();
    return { source: commit.bytes, start, end: commit.ends[i]!, subject: commit.subjects[commit.subjectOf[i]!]! };
  }

  clear(): void {
    this.commits = [];
    this.byRid.clear();
    this.others.clear();
    this.bytes = 0;
  }

  private find(rid: number, version: number): number | undefined {
    const handle = this.byRid.get(rid);
    if (handle !== undefined) {
      const commit = this.commitOf(handle)!;
      if (commit.versions[handle - commit.base] === version) return handle;
    }
    return this.others.size === 0 ? undefined : this.others.get(otherKey(rid, version));
  }

  /** The commit holding a handle (commits are in ascending base order). */
  private commitOf(handle: number): HeldCommit | undefined {
    let low = 0;
    let high = this.commits.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const commit = this.commits[mid]!;
      if (handle < commit.base) high = mid - 1;
      else if (handle >= commit.base + commit.rids.length) low = mid + 1;
      else return commit;
    }
    return undefined;
  }

  private drop(commit: HeldCommit): void {
    for (let i = 0; i < commit.rids.length; i++) this.unmap(commit, i);
  }

  /** Takes version i of `commit` out of the maps (and its bytes off the count) if it is still held. */
  private unmap(commit: HeldCommit, i: number): void {
    const rid = commit.rids[i]!;
    const handle = commit.base + i;
    if (this.byRid.get(rid) === handle) this.byRid.delete(rid);
    else if (this.others.get(otherKey(rid, commit.versions[i]!)) === handle) this.others.delete(otherKey(rid, commit.versions[i]!));
    else return;
    this.bytes -= commit.ends[i]! - startOf(commit, i);
  }
}

function startOf(commit: HeldCommit, i: number): number {
  return i === 0 ? 0 : commit.ends[i - 1]!;
}

function otherKey(rid: number, version: number): string {
  return `${rid}/${version}`;
}
