import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EmbeddedContentStore } from '../../server/provenance/embedded-content-store.ts';
import { ingestProvenanceHook, type SealedSource } from '../../server/provenance/ingest-provenance.ts';
import { KuboContentStore } from '../../server/provenance/kubo-content-store.ts';
import { openSource } from '../../server/provenance/source-seal.ts';
import { unixfsCid } from '../../server/provenance/unixfs-cid.ts';
import { tempDir } from '../helpers/test-server.ts';

const source = { requestId: 'r1', channel: 'http' as const, contentType: 'application/json', body: '[{"characteristic":"2A37","value":"00 48"}]', mapping: { id: 'ble-gatt' }, receivedAt: '2024-03-01T10:00:00.000Z' };

/** Where an ingest payload goes before its request's transaction: a local store at once, an IPFS node never (it may be down). */
describe('ingest payload at its request', () => {
  it('is stored in the embedded content store before the transaction, so nothing is spooled in the database', async () => {
    const dir = tempDir('ingest-source-store');
    const content = new EmbeddedContentStore(dir);
    try {
      const record = (await ingestProvenanceHook(undefined, undefined, content).recordSource!(source)) as SealedSource;
      expect(record.sealed).toBeUndefined();
      expect(await content.has(record.cid)).toBe(true);
      const stored = await content.get(record.cid);
      expect(await unixfsCid(stored)).toBe(record.cid);
      expect(openSource(stored, record.dek).toString()).toBe(source.body);
    } finally {
      await content.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is kept sealed for the database with an IPFS node, which the request does not wait for (here: nothing listens)', async () => {
    const node = new KuboContentStore('http://127.0.0.1:9', { timeoutMs: 2_000 });
    const record = (await ingestProvenanceHook(undefined, undefined, node).recordSource!(source)) as SealedSource;
    expect(await unixfsCid(record.sealed!)).toBe(record.cid);
    expect(openSource(record.sealed!, record.dek).toString()).toBe(source.body);
    await node.close();
  });
});
