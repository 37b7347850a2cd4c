import fs from 'node:fs';
import path from 'node:path';
import { FsBlockstore } from 'blockstore-fs';
import { LevelBlockstore } from 'blockstore-level';
import type { Blockstore } from 'interface-blockstore';
import { exporter } from 'ipfs-unixfs-exporter';
import { importBytes } from 'ipfs-unixfs-importer';
import { base32upper } from 'multiformats/bases/base32';
import { CID } from 'multiformats/cid';
import { KUBO_V1_IMPORT, type ContentStore } from './content-store.ts';
import { ProvenanceFailureError, ProvenanceUnavailableError } from './errors.ts';
import { kuboV1ImporterOptions, singleBlockCid } from './unixfs-cid.ts';

/**
 * The default content store: UnixFS blocks in DATA_DIR, no networking. Blocks go into a LevelDB
 * blockstore (blockstore-level, from the same js-stores family as blockstore-fs; Helia opens
 * either) in DATA_DIR/blockstore. blockstore-fs keeps one file per block, and creating a file of
 * a few kilobytes cost this machine about 180 µs of CPU (file system and journal work, measured
 * with Node's writeFileSync + renameSync into sharded directories): a window of a hundred
 * patients is a hundred bundles, and with device ingestion at full speed block files took more
 * CPU than sealing them. LevelDB appends blocks to one log and writes them out in large sorted
 * files. Blocks written by earlier versions (blockstore-fs layout in DATA_DIR/blocks) are still
 * read from there.
 *
 * LevelDB is one process's: a tool that reads the blocks (vitalchain verify --data-dir) works on
 * the data directory of a stopped server.
 */
export class EmbeddedContentStore implements ContentStore {
  private readonly store: LevelBlockstore;
  private readonly legacy: FsBlockstore | undefined;
  private readonly opened: Promise<void>;
  private readonly blocks: Blockstore;
  private pending: { keys: string[]; values: Uint8Array[]; done: Promise<void> } | undefined;

  constructor(dataDir: string) {
    fs.mkdirSync(dataDir, { recursive: true });
    this.store = new LevelBlockstore(path.join(dataDir, 'blockstore'));
    const legacyDir = path.join(dataDir, 'blocks');
    this.legacy = fs.existsSync(legacyDir) ? new FsBlockstore(legacyDir, { createIfMissing: false }) : undefined;
    this.opened = Promise.all([this.store.open(), this.legacy?.open()]).then(
      () => undefined,
      (error) => {
        throw new ProvenanceUnavailableError('content', `the embedded block store in ${dataDir} could not be opened (held by another process?)`, { cause: error });
      },
    );
    // Reported by every use (and retried by the pipeline), not as an unhandled rejection that ends the process.
    this.opened.catch(() => undefined);
    this.blocks = layered(this.store, this.legacy);
  }

  async put(bytes: Uint8Array, known?: string): Promise<string> {
    await this.opened;
    try {
      const single = known !== undefined && bytes.length <= KUBO_V1_IMPORT.chunkSize ? CID.parse(known) : singleBlockCid(bytes);
      if (single) {
        await this.batched(single, bytes);
        return single.toString();
      }
      const { cid } = await importBytes(bytes, this.store, kuboV1ImporterOptions());
      return cid.toString();
    } catch (err) {
      throw new ProvenanceFailureError('content', 'could not write blocks to the embedded store', { cause: err });
    }
  }

  /**
   * Single-block puts of one turn of the event loop go to LevelDB as one batch: a window's hundred
   * bundles are one write instead of a hundred (put by put, LevelDB's calls were the largest
   * part of building a window). Keys are blockstore-level's own (`/` + base32 of the multihash),
   * so its get() finds them; the round-trip tests read every block back through it.
   */
  private batched(cid: CID, bytes: Uint8Array): Promise<void> {
    if (!this.pending) {
      const pending = { keys: [] as string[], values: [] as Uint8Array[], done: Promise.resolve() };
      pending.done = new Promise<void>((resolve) => queueMicrotask(resolve)).then(() => {
        this.pending = undefined;
        return this.store.db.batch(pending.keys.map((key, i) => ({ type: 'put' as const, key, value: pending.values[i] })));
      });
      this.pending = pending;
    }
    this.pending.keys.push(`/${base32upper.encode(cid.multihash.bytes)}`);
    this.pending.values.push(bytes);
    return this.pending.done;
  }

  async get(cid: string): Promise<Uint8Array> {
    await this.opened;
    const parsed = parseCid(cid);
    try {
      const entry = await exporter(parsed, this.blocks);
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
    return this.blocks.has(parseCid(cid));
  }

  async close(): Promise<void> {
    await this.opened.catch(() => undefined);
    await this.store.close();
    await this.legacy?.close();
  }
}

/** Reads from the LevelDB store first, then from the blockstore-fs directory of earlier versions. */
function layered(store: LevelBlockstore, legacy: FsBlockstore | undefined): Blockstore {
  if (!legacy) return store;
  return {
    has: async (cid, options) => (await store.has(cid, options)) || legacy.has(cid, options),
    get: async function* (cid, options) {
      if (await store.has(cid, options)) yield* store.get(cid, options);
      else yield* legacy.get(cid, options);
    },
  } as Blockstore;
}

export function parseCid(cid: string): CID {
  try {
    return CID.parse(cid);
  } catch (err) {
    throw new ProvenanceFailureError('content', `not a CID: ${JSON.stringify(cid.slice(0, 80))}`, { cause: err });
  }
}
