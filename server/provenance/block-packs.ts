import fs from 'node:fs';
import path from 'node:path';

/** Where a block's bytes are: pack file number, offset, length (14 bytes as an index value). */
export interface PackLocation {
  pack: number;
  offset: number;
  length: number;
}

/** A pack file is closed for appending at this size and the next one started. */
const PACK_BYTES = 256 * 1024 * 1024;

/**
 * Content blocks appended to large files, never rewritten (the embedded content store keeps only
 * their locations in LevelDB). Blocks are immutable and content-addressed, so a log of them is all
 * that is needed; kept as LevelDB values, they were rewritten by every compaction: with device
 * ingestion at full speed LevelDB's compaction thread took ~13 µs of CPU per anchored version, as
 * much as the sealer thread's hashing, bundling and encryption of it.
 *
 * One writer (this process holds DATA_DIR); appends are serialised, and a batch is written with
 * one system call. A crash can leave bytes after the last recorded block: they are never read, and
 * the next append goes after them (the size is taken from the file).
 */
export class BlockPacks {
  private appending: Promise<unknown> = Promise.resolve();
  private current: { pack: number; handle: fs.promises.FileHandle; size: number } | undefined;
  private readonly readers = new Map<number, Promise<fs.promises.FileHandle>>();

  constructor(
    private readonly dir: string,
    private readonly packBytes = PACK_BYTES,
  ) {}

  /** Appends the blocks back to back; their locations in the same order. */
  append(blocks: readonly Uint8Array[]): Promise<PackLocation[]> {
    const run = this.appending.then(() => this.appendNow(blocks));
    this.appending = run.catch(() => undefined);
    return run;
  }

  async read(location: PackLocation): Promise<Uint8Array> {
    const handle = await this.reader(location.pack);
    const bytes = Buffer.allocUnsafe(location.length);
    const { bytesRead } = await handle.read(bytes, 0, location.length, location.offset);
    if (bytesRead !== location.length) throw new Error(`pack ${location.pack} ends before ${location.offset + location.length}`);
    return bytes;
  }

  async close(): Promise<void> {
    await this.appending;
    await this.current?.handle.close();
    this.current = undefined;
    for (const reader of this.readers.values()) await (await reader.catch(() => undefined))?.close();
    this.readers.clear();
  }

  private async appendNow(blocks: readonly Uint8Array[]): Promise<PackLocation[]> {
    const total = blocks.reduce((sum, block) => sum + block.length, 0);
    const target = await this.target(total);
    const locations: PackLocation[] = [];
    let offset = target.size;
    for (const block of blocks) {
      locations.push({ pack: target.pack, offset, length: block.length });
      offset += block.length;
    }
    try {
      await target.handle.writev(blocks.map((block) => Buffer.from(block.buffer, block.byteOffset, block.byteLength)));
      target.size = offset;
    } catch (error) {
      // A short or failed write: the file says where the next append starts.
      target.size = (await target.handle.stat()).size;
      throw error;
    }
    return locations;
  }

  /** The pack to append `bytes` to: the newest, or a new one when it is full. */
  private async target(bytes: number): Promise<{ pack: number; handle: fs.promises.FileHandle; size: number }> {
    if (!this.current) {
      await fs.promises.mkdir(this.dir, { recursive: true });
      const packs = (await fs.promises.readdir(this.dir)).map(packNumber).filter((n): n is number => n !== undefined);
      const pack = packs.length > 0 ? Math.max(...packs) : 1;
      const handle = await fs.promises.open(this.file(pack), 'a');
      this.current = { pack, handle, size: (await handle.stat()).size };
    }
    if (this.current.size > 0 && this.current.size + bytes > this.packBytes) {
      await this.current.handle.close();
      const pack = this.current.pack + 1;
      this.current = { pack, handle: await fs.promises.open(this.file(pack), 'a'), size: 0 };
    }
    return this.current;
  }

  private reader(pack: number): Promise<fs.promises.FileHandle> {
    let reader = this.readers.get(pack);
    if (!reader) {
      reader = fs.promises.open(this.file(pack), 'r');
      // A failed open is not kept: the next read tries again.
      reader.catch(() => this.readers.delete(pack));
      this.readers.set(pack, reader);
    }
    return reader;
  }

  private file(pack: number): string {
    return path.join(this.dir, `${String(pack).padStart(6, '0')}.pack`);
  }
}

function packNumber(name: string): number | undefined {
  const match = /^(\d{6})\.pack$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

export function encodeLocation(location: PackLocation): Uint8Array {
  const bytes = Buffer.alloc(14);
  bytes.writeUInt32BE(location.pack, 0);
  bytes.writeUIntBE(location.offset, 4, 6);
  bytes.writeUInt32BE(location.length, 10);
  return bytes;
}

export function decodeLocation(bytes: Uint8Array): PackLocation {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { pack: view.readUInt32BE(0), offset: view.readUIntBE(4, 6), length: view.readUInt32BE(10) };
}
