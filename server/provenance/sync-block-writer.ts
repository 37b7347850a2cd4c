import fs from 'node:fs';
import path from 'node:path';
import { NextToLast } from 'blockstore-fs/sharding';
import type { CID } from 'multiformats/cid';

/**
 * Writes blocks exactly where blockstore-fs keeps them (its sharding, its file names), so its
 * reader and a Helia node still find them — but synchronously. blockstore-fs spends five or six
 * asynchronous file-system calls per block (mkdir, open, write, close, rename), each waiting for a
 * turn of the event loop; with PGlite the database runs on that same thread in long synchronous
 * stretches, and a window's hundred-odd bundle blocks then took tens of seconds to land while
 * ingestion was busy (the window builder fell a whole load behind). A block here is one write of
 * a small file to a temporary name and one rename: a killed process leaves whole blocks or none
 * (as before, no fsync: a power cut can lose the last writes).
 */
export class SyncBlockWriter {
  private readonly sharding = new NextToLast();
  private readonly madeDirs = new Set<string>();
  private writes = 0;

  constructor(private readonly root: string) {}

  put(cid: CID, bytes: Uint8Array): CID {
    const { dir, file } = this.sharding.encode(cid);
    const directory = path.join(this.root, dir);
    if (!this.madeDirs.has(directory)) {
      fs.mkdirSync(directory, { recursive: true });
      this.madeDirs.add(directory);
    }
    // A name of our own per write: two writers of the same block never share a temporary file.
    const temporary = path.join(directory, `.${file}.${process.pid}.${this.writes++}.tmp`);
    fs.writeFileSync(temporary, bytes);
    fs.renameSync(temporary, path.join(directory, file));
    return cid;
  }
}
