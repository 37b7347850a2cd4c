import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { EmbeddedContentStore } from '../../server/provenance/embedded-content-store.ts';
import { ProvenanceFailureError, ProvenanceUnavailableError } from '../../server/provenance/errors.ts';
import { KuboContentStore } from '../../server/provenance/kubo-content-store.ts';
import { FileKeyStore } from '../../server/provenance/file-key-store.ts';
import { buildAnchorWindow } from '../../server/provenance/anchor-window.ts';
import { readStoredBundle } from '../../server/provenance/stored-bundle.ts';
import { startIpfsStandIn, type IpfsStandIn } from './ipfs-stand-in.ts';
import { syntheaVersions } from './synthea-versions.ts';

const pattern = (n: number) => new Uint8Array(n).map((_, i) => (i * 31) & 0xff);

describe('KuboContentStore against an in-process js-ipfs HTTP API', () => {
  let dir: string;
  let ipfs: IpfsStandIn;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vitalchain-kubo-'));
    ipfs = await startIpfsStandIn(dir);
  });
  afterAll(async () => {
    await ipfs?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores under the same CIDs as ipfs add --cid-version 1 and the embedded store, and reads back', async () => {
    const kubo = new KuboContentStore(ipfs.url);
    const embedded = new EmbeddedContentStore(dir);
    const vectors: [Uint8Array, string][] = [
      [new TextEncoder().encode('hello world\n'), 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4'],
      [pattern(300 * 1024), 'bafybeihtx6ggw5jqf4fbtf5vk6lhxcnkfhlcupwmsbmigqekmr7hghmhm4'],
    ];
    for (const [bytes, cid] of vectors) {
      expect(await kubo.put(bytes)).toBe(cid);
      expect(await embedded.put(bytes)).toBe(cid);
      expect(Buffer.from(await kubo.get(cid)).equals(Buffer.from(bytes))).toBe(true);
      expect(await kubo.has(cid)).toBe(true);
    }
    const random = randomBytes(5000);
    expect(await kubo.put(random)).toBe(await embedded.put(random));
    await embedded.close();
    await kubo.close();
  });

  it('reports an absent block as absent', async () => {
    const kubo = new KuboContentStore(ipfs.url, { timeoutMs: 5_000 });
    const absent = await new EmbeddedContentStore(path.join(dir, 'other')).put(randomBytes(64));
    expect(await kubo.has(absent)).toBe(false);
    await expect(kubo.get('not-a-cid')).rejects.toBeInstanceOf(ProvenanceFailureError);
  });

  it('serves as the content store of an anchor window', async () => {
    const content = new KuboContentStore(ipfs.url);
    const keys = await FileKeyStore.open(dir, randomBytes(32));
    const versions = syntheaVersions(30, 2);
    const window = await buildAnchorWindow(versions, { content, keys });
    for (const bundle of window.bundles) {
      const entries = await readStoredBundle(content, keys, bundle.cid, bundle.subject);
      for (const entry of entries) expect(entry.bytes.equals(versions[entry.leafIndex].bytes)).toBe(true);
    }
    await keys.close();
  });

  it('reports a node that is down as unavailable', async () => {
    const down = new KuboContentStore('http://127.0.0.1:9', { timeoutMs: 2_000 });
    await expect(down.put(new Uint8Array([1, 2, 3]))).rejects.toBeInstanceOf(ProvenanceUnavailableError);
    await expect(down.get('bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4')).rejects.toBeInstanceOf(ProvenanceUnavailableError);
    await expect(down.has('bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4')).rejects.toBeInstanceOf(ProvenanceUnavailableError);
  });
});
