import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CID } from 'multiformats/cid';
import { EmbeddedContentStore } from '../../server/provenance/embedded-content-store.ts';
import { ProvenanceFailureError } from '../../server/provenance/errors.ts';
import { importBytes } from 'ipfs-unixfs-importer';
import { kuboV1ImporterOptions, singleBlockCidText, unixfsCid } from '../../server/provenance/unixfs-cid.ts';
import { withTempDir } from './tmp-dir.ts';
import path from 'node:path';
import { FsBlockstore } from 'blockstore-fs';
import { LevelBlockstore } from 'blockstore-level';
import fs from 'node:fs';

/** Byte i = (i * 31) & 0xff: the pattern the reference note's Kubo / ipfs_cid vectors were computed on. */
const pattern = (n: number) => new Uint8Array(n).map((_, i) => (i * 31) & 0xff);

// `ipfs add --cid-version 1` (256 KiB chunks, 174 links, raw leaves), from the reference note (Kubo's
// own "hello world" vector and files cross-checked with js-ipfs and the ipfs_cid tool).
const KUBO_V1 = [
  { name: 'hello world\\n', bytes: new TextEncoder().encode('hello world\n'), cid: 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4' },
  { name: 'hello fhir\\n', bytes: new TextEncoder().encode('hello fhir\n'), cid: 'bafkreig3edcqsh7ku54usb3qqan5d3tq4mcjh55od4n4nflmedrvr5oyxu' },
  { name: '300 KiB', bytes: pattern(300 * 1024), cid: 'bafybeihtx6ggw5jqf4fbtf5vk6lhxcnkfhlcupwmsbmigqekmr7hghmhm4' },
  { name: '1 MiB + 17 B', bytes: pattern(1024 * 1024 + 17), cid: 'bafybeih5i32xg4zcktwojwqpqhodzbo4ioh73mjxau2gbiwhohnts4qpdi' },
];

describe('EmbeddedContentStore', () => {
  it.each(KUBO_V1)('stores $name under the CID ipfs add --cid-version 1 gives', async ({ bytes, cid }) => {
    await withTempDir(async (dir) => {
      const store = new EmbeddedContentStore(dir);
      expect(await store.put(bytes)).toBe(cid);
      expect(await unixfsCid(bytes)).toBe(cid);
      expect(Buffer.from(await store.get(cid)).equals(Buffer.from(bytes))).toBe(true);
      expect(await store.has(cid)).toBe(true);
      await store.close();
    });
  });

  it.each(KUBO_V1)('stores $name under the CID handed over with it, as the sealer thread does', async ({ bytes, cid }) => {
    await withTempDir(async (dir) => {
      const store = new EmbeddedContentStore(dir);
      expect(await store.put(bytes, cid)).toBe(cid);
      expect(Buffer.from(await store.get(cid)).equals(Buffer.from(bytes))).toBe(true);
      await store.close();
      // Found under the same key by a store that parses the CID.
      const reopened = new EmbeddedContentStore(dir);
      expect(await reopened.has(CID.parse(cid).toString())).toBe(true);
      expect(Buffer.from(await reopened.get(cid)).equals(Buffer.from(bytes))).toBe(true);
      await reopened.close();
    });
  });

  it('stores a small object as one raw block whose CID is SHA-256 of the bytes', async () => {
    await withTempDir(async (dir) => {
      const store = new EmbeddedContentStore(dir);
      const bytes = Buffer.from('{"resourceType":"Bundle"}');
      const cid = CID.parse(await store.put(bytes));
      expect(cid.code).toBe(0x55);
      expect(Buffer.from(cid.multihash.digest).toString('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
      await store.close();
    });
  });

  it('keeps blocks across a restart and reports missing content as a failure', async () => {
    await withTempDir(async (dir) => {
      const first = new EmbeddedContentStore(dir);
      const cid = await first.put(pattern(70_000));
      await first.close();
      const second = new EmbeddedContentStore(dir);
      expect(Buffer.from(await second.get(cid)).equals(Buffer.from(pattern(70_000)))).toBe(true);
      const missing = 'bafkreig3edcqsh7ku54usb3qqan5d3tq4mcjh55od4n4nflmedrvr5oyxu';
      expect(await second.has(missing)).toBe(false);
      await expect(second.get(missing)).rejects.toThrow(ProvenanceFailureError);
      await expect(second.get('not-a-cid')).rejects.toThrow(ProvenanceFailureError);
      await second.close();
    });
  });
});

describe('EmbeddedContentStore layouts', () => {
  it('appends blocks to pack files, not into LevelDB, and still reads blocks an earlier version kept in LevelDB', async () => {
    await withTempDir(async (dir) => {
      const earlier = new LevelBlockstore(path.join(dir, 'blockstore'));
      await earlier.open();
      const old = new TextEncoder().encode('hello world\n');
      await earlier.put(CID.parse(singleBlockCidText(old)!), old);
      await earlier.close();
      const store = new EmbeddedContentStore(dir);
      expect(Buffer.from(await store.get(KUBO_V1[0]!.cid)).toString()).toBe('hello world\n');
      const bundles = Array.from({ length: 50 }, (_, i) => pattern(1_000 + i));
      const cids = await Promise.all(bundles.map((bytes) => store.put(bytes)));
      const large = await store.put(pattern(300 * 1024));
      expect(large).toBe(KUBO_V1[2]!.cid);
      await store.close();
      const packed = fs.readdirSync(path.join(dir, 'blockpacks')).reduce((sum, file) => sum + fs.statSync(path.join(dir, 'blockpacks', file)).size, 0);
      expect(packed).toBeGreaterThanOrEqual(bundles.reduce((sum, b) => sum + b.length, 0) + 300 * 1024);
      const reopened = new EmbeddedContentStore(dir);
      for (const [i, cid] of cids.entries()) expect(Buffer.from(await reopened.get(cid)).equals(Buffer.from(bundles[i]!))).toBe(true);
      expect(Buffer.from(await reopened.get(large)).equals(Buffer.from(pattern(300 * 1024)))).toBe(true);
      expect(await reopened.has(KUBO_V1[0]!.cid)).toBe(true);
      await reopened.close();
    });
  });
});

describe('single-block CIDs', () => {
  it('equal the importer\'s CIDs on both sides of the chunk boundary', async () => {
    for (const size of [0, 1, 4096, 262_143, 262_144, 262_145]) {
      const bytes = pattern(size);
      const { cid } = await importBytes(bytes, { put: async (c) => c }, kuboV1ImporterOptions());
      expect(await unixfsCid(bytes), `size ${size}`).toBe(cid.toString());
      expect(singleBlockCidText(bytes) !== undefined, `size ${size}`).toBe(size <= 262_144);
      expect(singleBlockCidText(bytes), `size ${size}`).toBe(size <= 262_144 ? cid.toString() : undefined);
    }
  });

  it('still reads blocks an earlier version wrote in the blockstore-fs layout (DATA_DIR/blocks)', async () => {
    await withTempDir(async (dir) => {
      const legacy = new FsBlockstore(path.join(dir, 'blocks'));
      await legacy.open();
      const bytes = new TextEncoder().encode('hello fhir\n');
      const cid = CID.parse(singleBlockCidText(bytes)!);
      await legacy.put(cid, bytes);
      await legacy.close();
      const store = new EmbeddedContentStore(dir);
      expect(await store.has(cid.toString())).toBe(true);
      expect(Buffer.from(await store.get(cid.toString())).toString()).toBe('hello fhir\n');
      // New blocks go to the packs, and both kinds are read.
      const fresh = await store.put(pattern(300 * 1024));
      expect(Buffer.from(await store.get(fresh)).equals(Buffer.from(pattern(300 * 1024)))).toBe(true);
      await store.close();
    });
  });
});
