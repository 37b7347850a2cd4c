import type { CommittedWrite } from '../store/repository.ts';

/**
 * The stored JSON of versions this process just committed, handed to the leaf recorder so it
 * hashes them without reading resource_version back (for a device stream that read was a kilobyte
 * per reading, fetched and decoded a second time). Filled only after COMMIT, so it never holds a
 * version a rolled-back transaction had built; the strings are the exact bytes the write path
 * stored. Only a shortcut: bounded in bytes, oldest dropped first, empty after a restart or in a
 * process that does not run the consumer, and every miss is read from the database as before.
 */
export class CommittedContent {
  private readonly entries = new Map<string, string>();
  private bytes = 0;

  constructor(private readonly maxBytes = 32 * 1024 * 1024) {}

  remember(results: readonly CommittedWrite[]): void {
    for (const result of results) {
      if (result.json === undefined || result.action === 'none') continue;
      const key = versionKey(result.rid, result.version);
      if (this.entries.has(key)) continue;
      this.entries.set(key, result.json);
      this.bytes += result.json.length;
    }
    for (const [key, json] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(key);
      this.bytes -= json.length;
    }
  }

  /** The version's stored JSON, once: the entry is dropped as it is taken. */
  take(rid: number, version: number): string | undefined {
    const key = versionKey(rid, version);
    const json = this.entries.get(key);
    if (json === undefined) return undefined;
    this.entries.delete(key);
    this.bytes -= json.length;
    return json;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}

function versionKey(rid: number, version: number): string {
  return `${rid}/${version}`;
}
