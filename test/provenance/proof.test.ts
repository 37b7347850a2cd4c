import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildAnchorWindow } from '../../server/provenance/anchor-window.ts';
import { EmbeddedContentStore } from '../../server/provenance/embedded-content-store.ts';
import { FileKeyStore } from '../../server/provenance/file-key-store.ts';
import { createProof } from '../../server/provenance/proof.ts';
import { verifyProofContent, verifyProofMath } from '../../server/provenance/proof-verifier.ts';
import { syntheaVersions } from './synthea-versions.ts';
import { withTempDir } from './tmp-dir.ts';

const fakeAnchor = (root: string, manifestCid: string) => ({ root, manifestCid, chainId: 1337, contract: `0x${'11'.repeat(20)}`, txHash: `0x${'22'.repeat(32)}`, blockNumber: 7 });

describe('provenance proofs', () => {
  it('builds the same proof from the manifest as from the window, with or without the stored bytes', async () => {
    await withTempDir(async (dir) => {
      const content = new EmbeddedContentStore(dir);
      const keys = await FileKeyStore.open(dir, randomBytes(32));
      const versions = syntheaVersions(25, 1);
      const window = await buildAnchorWindow(versions, { content, keys });
      const anchor = fakeAnchor(window.root, window.manifestCid);
      for (const i of [0, 12, versions.length - 1]) {
        const fromWindow = createProof({ version: versions[i], leafIndex: i, merkle: { path: window.entries[i].path, treeSize: versions.length }, anchor });
        const fromManifest = createProof({ version: versions[i], leafIndex: i, merkle: { manifest: window.manifest }, anchor });
        expect(fromManifest).toEqual(fromWindow);
        expect(fromWindow.leaf.value).toBe(window.entries[i].leaf);
        expect(verifyProofMath(fromWindow).every((c) => c.ok)).toBe(true);
        expect(await verifyProofContent(fromWindow, content)).toEqual([expect.objectContaining({ name: 'manifest', ok: true })]);

        const withoutBytes = createProof({ version: versions[i], leafIndex: i, merkle: { manifest: window.manifest }, anchor, includeBytes: false });
        expect(withoutBytes.leaf.bytesBase64).toBeUndefined();
        expect(verifyProofMath(withoutBytes).map((c) => c.name)).toEqual(['format', 'fields', 'leaf', 'merkle-path']);
        expect(verifyProofMath(withoutBytes).every((c) => c.ok)).toBe(true);
      }

      const proof = createProof({ version: versions[3], leafIndex: 3, merkle: { manifest: window.manifest }, anchor });
      const salted = structuredClone(proof);
      salted.leaf.salt = randomBytes(32).toString('hex');
      expect(verifyProofMath(salted).find((c) => c.name === 'leaf')?.ok).toBe(false);
      // A proof that claims a different tree size is caught by the manifest even where the path alone would pass.
      const resized = structuredClone(proof);
      resized.merkle.treeSize += 1;
      expect((await verifyProofContent(resized, content))[0].ok).toBe(false);
      const elsewhere = structuredClone(proof);
      elsewhere.anchor.manifestCid = 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4';
      expect((await verifyProofContent(elsewhere, content))[0].ok).toBe(false);
      expect(verifyProofMath({ ...proof, format: 'something-else' } as never)[0].ok).toBe(false);
      await keys.close();
      await content.close();
    });
  });
});
