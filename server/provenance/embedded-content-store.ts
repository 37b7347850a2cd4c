import path from 'node:path';
import { FsBlockstore } from 'blockstore-fs';
import { exporter } from 'ipfs-unixfs-exporter';
import { importBytes } from 'ipfs-unixfs-importer';
import { CID } from 'multiformats/cid';
import type { ContentStore } from './content-store.ts';
import { SyncBlockWriter } from './sync-block-writer.ts';
import { ProvenanceFailureError } from './errors.ts';
import { kuboV1ImporterOptions, singleBlockCid } from './unixfs-cid.ts';

/**
 * The default content store: UnixFS blocks in files under DATA_DIR/blocks, no networking. The block
 * layout is blockstore-fs's (the one Helia uses), so a Helia node can later serve the same directory.
 * Blocks are written by SyncBlockWriter (same layout, synchronous writes) and read through
 * blockstore-fs.
 */
export class EmbeddedContentStore implements ContentStore {
  private readonly blockstore: FsBlockstore;
  private readonly writer: SyncBlockWriter;
  private readonly opened: Promise<void>;

  constructor(dataDir: string) {
    this.blockstore = new FsBlockstore(path.join(dataDir, 'blocks'));
    this.writer = new SyncBlockWriter(path.join(dataDir, 'blocks'));
    this.opened = this.blockstore.open();
  }

  async put(bytes: Uint8Array): Promise<string> {
    await this.opened;
    try {
      const single = singleBlockCid(bytes);
      if (single) {
        this.writer.put(single, bytes);
        return single.toString();
      }
      const { cid } = await importBytes(bytes, this.writer, kuboV1ImporterOptions());
      return cid.toString();
    } catch (err) {
      throw new ProvenanceFailureError('content', 'could not write blocks to the embedded store', { cause: err });
    }
  }

  async get(cid: string): Promise<Uint8Array> {
    await this.opened;
    const parsed = parseCid(cid);
    try {
      const entry = await exporter(parsed, this.blockstore);
      if (entry.type !== 'file' && entry.type !== 'raw' && entry.type !== 'identity') throw new Error(`${cid} is a ${entry.type}, not a file`);
      const chunks: Uint8Array[] = [];
      for await (const chunk of entry.content()) chunks.push(chunk);
      return Buffer.concat(chunks);
    } catch (err) {
      throw new ProvenanceFailureError('content', `content ${cid} is not in the embedded store`, { cause: err });
    }
  }

  async has(cid: string): Promise<boolean> {
    await this.opened;
    return this.blockstore.has(parseCid(cid));
  }

  async close(): Promise<void> {
    await this.opened;
    await this.blockstore.close();
  }
}

export function parseCid(cid: string): CID {
  try {
    return CID.parse(cid);
  } catch (err) {
    throw new ProvenanceFailureError('content', `not a CID: ${JSON.stringify(cid.slice(0, 80))}`, { cause: err });
  }
}
