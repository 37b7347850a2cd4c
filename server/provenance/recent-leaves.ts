import type { WindowVersion } from './anchor-window.ts';

/**
 * A hashed batch whose leaves got consecutive numbers from `first`: one array per field, version
 * i's bytes at `starts[i]`..`ends[i]` of `sources[i]` (the buffer its commit arrived in), its salt
 * and leaf at 32·i of `salts` and `leaves`.
 */
export interface LeafRun {
  first: number;
  rids: number[];
  types: string[];
  ids: string[];
  versions: number[];
  subjects: string[];
  sources: Buffer[];
  starts: number[];
  ends: number[];
  salts: Buffer;
  leaves: Buffer;
}

interface HeldRun extends LeafRun {
  bytes: number;
  /** Per leaf: 1 once released (its window built) or forgotten (erased); the run goes when all are. */
  done: Uint8Array;
  doneCount: number;
  /** Some leaf was forgotten: windows over this run are read from the database. */
  forgotten: boolean;
}

/**
 * What the consumer just hashed, kept for the window builder so the common case reads each
 * version's bytes from the database once, not twice. Only a shortcut: bounded in bytes, lost on
 * restart, and the builder falls back to the database for any window it does not fully hold.
 * The bytes are exactly those the leaf was computed from. $erase drops a patient's entries.
 *
 * Kept as runs of columns, not an entry object per leaf: those objects lived for the seconds
 * between hashing and sealing, long enough to be copied by every scavenge and promoted, and
 * collecting them cost the sealer thread more than hashing did. Objects for a window are made
 * only when it is sealed, and die with it.
 */
export class RecentLeaves {
  /** In ascending leaf order. */
  private runs: HeldRun[] = [];
  private bytes = 0;

  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  add(run: LeafRun): void {
    const count = run.rids.length;
    if (count === 0) return;
    let bytes = 0;
    for (let i = 0; i < count; i++) bytes += run.ends[i]! - run.starts[i]!;
    const held: HeldRun = { ...run, bytes, done: new Uint8Array(count), doneCount: 0, forgotten: false };
    let at = this.runs.length;
    while (at > 0 && this.runs[at - 1]!.first > run.first) at--;
    this.runs.splice(at, 0, held);
    this.bytes += bytes;
    while (this.bytes > this.maxBytes && this.runs.length > 0) this.bytes -= this.runs.shift()!.bytes;
  }

  /** The window's versions in leaf order, or undefined unless every one of them is held. */
  window(firstLeaf: number, lastLeaf: number): WindowVersion[] | undefined {
    const runs = this.covering(firstLeaf, lastLeaf);
    if (!runs) return undefined;
    // Loops, not a callback per leaf (server/ingest/README.md, "Optimized code").
    const versions = new Array<WindowVersion>(lastLeaf - firstLeaf + 1);
    for (let leaf = firstLeaf, r = 0; leaf <= lastLeaf; leaf++) {
      let run = runs[r]!;
      while (leaf >= run.first + run.rids.length) run = runs[++r]!;
      const i = leaf - run.first;
      versions[leaf - firstLeaf] = {
        type: run.types[i]!,
        id: run.ids[i]!,
        version: String(run.versions[i]),
        bytes: run.sources[i]!.subarray(run.starts[i], run.ends[i]),
        salt: run.salts.subarray(i * 32, i * 32 + 32),
        leaf: run.leaves.subarray(i * 32, i * 32 + 32),
        patient: run.subjects[i]!,
      };
    }
    return versions;
  }

  /** The key subjects of the window's versions, or undefined unless every one of them is held. */
  subjects(firstLeaf: number, lastLeaf: number): string[] | undefined {
    const runs = this.covering(firstLeaf, lastLeaf);
    if (!runs) return undefined;
    const subjects = new Set<string>();
    for (const run of runs) {
      const to = Math.min(lastLeaf, run.first + run.rids.length - 1) - run.first;
      for (let i = Math.max(firstLeaf - run.first, 0); i <= to; i++) subjects.add(run.subjects[i]!);
    }
    return [...subjects];
  }

  /** Forgets the range once its window is built. */
  release(firstLeaf: number, lastLeaf: number): void {
    for (const run of this.overlapping(firstLeaf, lastLeaf)) {
      const from = Math.max(firstLeaf, run.first) - run.first;
      const to = Math.min(lastLeaf, run.first + run.rids.length - 1) - run.first;
      for (let i = from; i <= to; i++) this.markDone(run, i);
    }
    this.dropDone();
  }

  forget(subject: string, rids: ReadonlySet<number>): void {
    for (const run of this.runs) {
      for (let i = 0; i < run.rids.length; i++) {
        if (run.subjects[i] !== subject && !rids.has(run.rids[i]!)) continue;
        run.forgotten = true;
        // The bytes go now, not when the rest of the run does.
        run.sources[i] = EMPTY;
        run.starts[i] = 0;
        run.ends[i] = 0;
        this.markDone(run, i);
      }
    }
    this.dropDone();
  }

  /** The runs holding every leaf from first to last, in order, or undefined unless all are held. */
  private covering(firstLeaf: number, lastLeaf: number): HeldRun[] | undefined {
    let next = firstLeaf;
    const runs = this.overlapping(firstLeaf, lastLeaf);
    for (const run of runs) {
      if (run.first > next || run.forgotten) return undefined;
      const to = Math.min(lastLeaf, run.first + run.rids.length - 1);
      for (; next <= to; next++) if (run.done[next - run.first]) return undefined;
    }
    return next > lastLeaf ? runs : undefined;
  }

  private overlapping(firstLeaf: number, lastLeaf: number): HeldRun[] {
    const found: HeldRun[] = [];
    for (const run of this.runs) if (run.first <= lastLeaf && run.first + run.rids.length - 1 >= firstLeaf) found.push(run);
    return found;
  }

  private markDone(run: HeldRun, i: number): void {
    if (run.done[i]) return;
    run.done[i] = 1;
    run.doneCount++;
  }

  private dropDone(): void {
    let kept = 0;
    for (const run of this.runs) {
      if (run.doneCount < run.rids.length) this.runs[kept++] = run;
      else this.bytes -= run.bytes;
    }
    this.runs.length = kept;
  }
}

const EMPTY = Buffer.alloc(0);
