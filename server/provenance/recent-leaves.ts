import type { WindowVersion } from './anchor-window.ts';

export interface RecentLeaf {
  rid: number;
  version: WindowVersion & { bytes: Buffer; salt: Buffer; leaf: Buffer; patient: string };
}

/**
 * What the consumer just read and hashed, kept for the window builder so the common case reads
 * each version's bytes from the database once, not twice. Only a shortcut: bounded in bytes, lost
 * on restart, and the builder falls back to the database for any window it does not fully hold.
 * The bytes are exactly those the leaf was computed from. $erase drops a patient's entries.
 */
export class RecentLeaves {
  private readonly entries = new Map<number, RecentLeaf>();
  private bytes = 0;

  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  add(leafNo: number, leaf: RecentLeaf): void {
    this.entries.set(leafNo, leaf);
    this.bytes += leaf.version.bytes.length;
    // Iterated only when over the bound: a Map iterator starts by skipping the slots of every
    // entry deleted since the table was last rebuilt, and released windows leave thousands of
    // them at its front. Starting one per added leaf, with a 30,000-leaf backlog released a
    // window at a time, cost ~6 µs per leaf in a scratch simulation (664 ms per 100,000 adds,
    // 15 ms without).
    if (this.bytes <= this.maxBytes) return;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.version.bytes.length;
    }
  }

  /** The window's versions in leaf order, or undefined unless every one of them is held. */
  window(firstLeaf: number, lastLeaf: number): WindowVersion[] | undefined {
    const versions: WindowVersion[] = [];
    for (let n = firstLeaf; n <= lastLeaf; n++) {
      const entry = this.entries.get(n);
      if (!entry) return undefined;
      versions.push(entry.version);
    }
    return versions;
  }

  /** Forgets the range once its window is built. */
  release(firstLeaf: number, lastLeaf: number): void {
    for (let n = firstLeaf; n <= lastLeaf; n++) {
      const entry = this.entries.get(n);
      if (!entry) continue;
      this.entries.delete(n);
      this.bytes -= entry.version.bytes.length;
    }
  }

  forget(subject: string, rids: ReadonlySet<number>): void {
    for (const [n, entry] of this.entries) {
      if (entry.version.patient !== subject && !rids.has(entry.rid)) continue;
      this.entries.delete(n);
      this.bytes -= entry.version.bytes.length;
    }
  }
}
