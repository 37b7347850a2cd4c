import fs from 'node:fs';
import path from 'node:path';
import { FsBlockstore } from 'blockstore-fs';
import { LevelBlockstore } from 'blockstore-level';
import type { Blockstore } from 'interface-blockstore';
import { exporter } from 'ipfs-unixfs-exporter';
import { importBytes } from 'ipfs-unixfs-importer';
import { base32, base32upper } from 'multiformats/bases/base32';
import { CID } from 'multiformats/cid';
import { KUBO_V1_IMPORT, type ContentStore } from './content-store.ts';
import { ProvenanceFailureError, ProvenanceUnavailableError } from './errors.ts';
import { BlockPacks, decodeLocation, encodeLocation } from './block-packs.ts';
import { kuboV1ImporterOptions, singleBlockCidText } from './unixfs-cid.ts';

/**
 * The default content store: UnixFS blocks in DATA_DIR, no networking. Block bytes are appended to
 * pack files in DATA_DIR/blockpacks (block-packs.ts) and their locations kept in a LevelDB
 * (blockstore-level's, in DATA_DIR/blockstore, under `#` + the key blockstore-level would use).
 * Earlier versions stored the bytes themselves in that LevelDB (and before that one file per block
 * with blockstore-fs in DATA_DIR/blocks): both are still read. One file per block cost ~180 µs of
 * CPU per small block here (file system and journal work); bytes inside LevelDB were rewritten by
 * its compactions (~13 µs of CPU per anchored version under device ingestion); in packs they are
 * written once.
 *
 * LevelDB is one process's: a tool that reads the blocks (vitalchain verify --data-dir) works on
 * the data directory of a stopped server.
 */
export class EmbeddedContentStore implements ContentStore {
  readonly local = true;
  private readonly store: LevelBlockstore;
  private readonly packs: BlockPacks;
  private readonly legacy: FsBlockstore | undefined;
  private readonly opened: Promise<void>;
  private readonly blocks: Blockstore;
  private pending: { keys: string[]; values: Uint8Array[]; done: Promise<void> } | undefined;

  constructor(dataDir: string) {
    fs.mkdirSync(dataDir, { recursive: true });
    this.store = new LevelBlockstore(path.join(dataDir, 'blockstore'));
    this.packs = new BlockPacks(path.join(dataDir, 'blockpacks'));
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
    this.blocks = this.readable();
  }

  async put(bytes: Uint8Array, known?: string): Promise<string> {
    await this.opened;
    try {
      if (bytes.length <= KUBO_V1_IMPORT.chunkSize) {
        // One block: keyed straight from its CID text, or (a given CID in another form) parsed.
        const text = known ?? singleBlockCidText(bytes)!;
        const key = packedKeyOfText(text);
        if (key) {
          await this.batched(key, bytes);
          return text;
        }
        const cid = CID.parse(text);
        await this.batched(packedKey(cid), bytes);
        return cid.toString();
      }
      const packed = { put: async (cid: CID, block: Uint8Array) => (await this.batched(packedKey(cid), block), cid) };
      const { cid } = await importBytes(bytes, packed, kuboV1ImporterOptions());
      return cid.toString();
    } catch (err) {
      throw new ProvenanceFailureError('content', 'could not write blocks to the embedded store', { cause: err });
    }
  }

  /**
   * Blocks put in one turn of the event loop are appended to the pack in one write and located in
   * LevelDB in one batch: a window's hundred bundles are one write each, not a hundred. The data
   * is written before the locations, so a location never points past what was written.
   */
  private batched(key: string, bytes: Uint8Array): Promise<void> {
    if (!this.pending) {
      const pending = { keys: [] as string[], values: [] as Uint8Array[], done: Promise.resolve() };
      pending.done = new Promise<void>((resolve) => queueMicrotask(resolve)).then(async () => {
        this.pending = undefined;
        const locations = await this.packs.append(pending.values);
        await this.store.db.batch(pending.keys.map((key, i) => ({ type: 'put' as const, key, value: encodeLocation(locations[i]!) })));
      });
      this.pending = pending;
    }
    this.pending.keys.push(key);
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
    await this.pending?.done.catch(() => undefined);
    await this.packs.close();
    await this.store.close();
    await this.legacy?.close();
  }

  /** Reads from the packs first, then LevelDB values and blockstore-fs files of earlier versions. */
  private readable(): Blockstore {
    const { store, legacy, packs } = this;
    const located = async (cid: CID) => {
      const value = (await store.db.get(packedKey(cid))) as Uint8Array | undefined;
      return value === undefined ? undefined : decodeLocation(value);
    };
    return {
      has: async (cid: CID) => (await located(cid)) !== undefined || (await store.has(cid)) || ((await legacy?.has(cid)) ?? false),
      get: async function* (cid: CID) {
        const location = await located(cid);
        if (location) yield await packs.read(location);
        else if (!legacy || (await store.has(cid))) yield* store.get(cid);
        else yield* legacy.get(cid);
      },
    } as unknown as Blockstore;
  }
}

/** The location's key: blockstore-level's own key for the block (`/` + base32 of the multihash), marked `#`. */
function packedKey(cid: CID): string {
  return multihashKey(cid.multihash.bytes);
}

function multihashKey(multihash: Uint8Array): string {
  return `#${base32upper.encode(multihash)}`;
}

/**
 * packedKey(CID.parse(text)) for the CIDv1 text of a single raw or dag-pb block (what the sealer
 * thread hands over with every block), read straight from its base32 bytes: parsed into a CID
 * object first, each of a window's hundred blocks cost ~4.5 µs of the main thread's CPU against
 * ~1 (scratch). Undefined for any other CID, which then goes through CID.parse.
 */
function packedKeyOfText(text: string): string | undefined {
  if (text[0] !== 'b') return undefined;
  let bytes: Uint8Array;
  try {
    bytes = base32.decode(text);
  } catch {
    return undefined;
  }
  // Version 1, a one-byte codec (raw 0x55, dag-pb 0x70), then the multihash: sha2-256 of 32 bytes.
  if (bytes.length !== 36 || bytes[0] !== 0x01 || (bytes[1] !== 0x55 && bytes[1] !== 0x70) || bytes[2] !== 0x12 || bytes[3] !== 32) return undefined;
  return multihashKey(bytes.subarray(2));
}

export function parseCid(cid: string): CID {
  try {
    return CID.parse(cid);
  } catch (err) {
    throw new ProvenanceFailureError('content', `not a CID: ${JSON.stringify(cid.slice(0, 80))}`, { cause: err });
  }
}
