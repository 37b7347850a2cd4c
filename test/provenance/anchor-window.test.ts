import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SHARED_SUBJECT, buildAnchorWindow, type ContentVersion } from '../../server/provenance/anchor-window.ts';
import { EmbeddedContentStore } from '../../server/provenance/embedded-content-store.ts';
import { ProvenanceFailureError } from '../../server/provenance/errors.ts';
import { FileKeyStore } from '../../server/provenance/file-key-store.ts';
import { leafHash } from '../../server/provenance/leaf.ts';
import { parseManifest } from '../../server/provenance/manifest.ts';
import { verifyInclusion } from '../../server/provenance/merkle.ts';
import { readStoredBundle } from '../../server/provenance/stored-bundle.ts';
import { syntheaVersions } from './synthea-versions.ts';
import { withTempDir } from './tmp-dir.ts';

async function fixture<T>(fn: (deps: { content: EmbeddedContentStore; keys: FileKeyStore }, dir: string) => Promise<T>) {
  return withTempDir(async (dir) => {
    const content = new EmbeddedContentStore(dir);
    const keys = await FileKeyStore.open(dir, randomBytes(32));
    try {
      return await fn({ content, keys }, dir);
    } finally {
      await keys.close();
      await content.close();
    }
  });
}

describe('buildAnchorWindow', () => {
  it('anchors Synthea versions: per-patient encrypted bundles give back the exact stored bytes, every leaf proves against the root', async () => {
    await fixture(async (deps) => {
      const versions = syntheaVersions(150, 3);
      const device: ContentVersion = { type: 'Device', id: 'd1', version: '4', bytes: Buffer.from('{"resourceType":"Device","id":"d1","note":[{"text":"1.50"}],"x":1.50}'), salt: randomBytes(32) };
      versions.push(device);
      const window = await buildAnchorWindow(versions, deps);

      expect(window.entries).toHaveLength(versions.length);
      expect(window.bundles.map((b) => b.subject).sort()).toEqual([...new Set(versions.map((v) => v.patient ?? SHARED_SUBJECT))].sort());
      expect(window.bundles).toHaveLength(4);
      const root = Buffer.from(window.root.slice(2), 'hex');
      versions.forEach((v, i) => {
        const entry = window.entries[i];
        expect(entry.leafIndex).toBe(i);
        expect(entry.leaf).toBe(leafHash(v.salt, v.bytes).toString('hex'));
        expect(verifyInclusion(Buffer.from(entry.leaf, 'hex'), i, versions.length, entry.path.map((p) => Buffer.from(p, 'hex')), root)).toBe(true);
      });

      for (const bundle of window.bundles) {
        const raw = Buffer.from(await deps.content.get(bundle.cid));
        // Ciphertext only: no resource ids or patient references in what is stored.
        expect(raw.includes(Buffer.from('resourceType'))).toBe(false);
        expect(raw.includes(Buffer.from(bundle.subject))).toBe(false);
        const entries = await readStoredBundle(deps.content, deps.keys, bundle.cid, bundle.subject);
        expect(entries.map((e) => e.leafIndex)).toEqual(bundle.leafIndices);
        for (const entry of entries) {
          const original = versions[entry.leafIndex];
          expect(entry.bytes.equals(original.bytes)).toBe(true);
          expect(entry.salt.equals(original.salt)).toBe(true);
          expect([entry.type, entry.id, entry.version]).toEqual([original.type, original.id, original.version]);
          expect(window.entries[entry.leafIndex].bundleCid).toBe(bundle.cid);
        }
      }
      // The decimal written as 1.50 comes back as 1.50.
      const deviceBundle = window.bundles.find((b) => b.subject === SHARED_SUBJECT)!;
      const [deviceEntry] = await readStoredBundle(deps.content, deps.keys, deviceBundle.cid, SHARED_SUBJECT);
      expect(deviceEntry.bytes.toString()).toContain('"x":1.50');

      const manifest = parseManifest(await deps.content.get(window.manifestCid));
      expect(manifest).toEqual(window.manifest);
      expect(manifest.root).toBe(window.root);
      expect(manifest.bundles.sort()).toEqual(window.bundles.map((b) => b.cid).sort());
      expect(JSON.stringify(manifest)).not.toMatch(/Patient|Observation/);
    });
  });

  it('rebuilding the same window gives the same bundles, manifest and root', async () => {
    await fixture(async (deps) => {
      const versions = syntheaVersions(40, 2);
      const first = await buildAnchorWindow(versions, deps);
      const second = await buildAnchorWindow(versions, deps);
      expect(second.root).toBe(first.root);
      expect(second.manifestCid).toBe(first.manifestCid);
      expect(second.entries).toEqual(first.entries);
      const resalted = await buildAnchorWindow(versions.map((v) => ({ ...v, salt: randomBytes(32) })), deps);
      expect(resalted.root).not.toBe(first.root);
    });
  });

  it('after erasure one patient\'s bundles cannot be read, the others can', async () => {
    await fixture(async (deps) => {
      const versions = syntheaVersions(60, 2);
      const window = await buildAnchorWindow(versions, deps);
      const [erased, kept] = window.bundles;
      expect(await deps.keys.destroyPatientKey(erased.subject)).toBe(true);
      await expect(readStoredBundle(deps.content, deps.keys, erased.cid, erased.subject)).rejects.toThrow(ProvenanceFailureError);
      expect((await readStoredBundle(deps.content, deps.keys, kept.cid, kept.subject)).length).toBe(kept.leafIndices.length);
      // The proof material (leaves, manifest) is untouched by erasure.
      expect(parseManifest(await deps.content.get(window.manifestCid)).root).toBe(window.root);
    });
  });

  it('keeps a leaf whose version is gone (erased) in the tree, with no bundle entry, and gives the same root', async () => {
    await fixture(async (deps) => {
      const versions = syntheaVersions(30, 2);
      const full = await buildAnchorWindow(versions, deps);
      const gone = versions.map((v, i) => (i % 3 === 0 ? { type: v.type, id: v.id, version: v.version, leaf: leafHash(v.salt, v.bytes), patient: v.patient } : v));
      const partial = await buildAnchorWindow(gone, deps);
      expect(partial.root).toBe(full.root);
      expect(partial.entries.filter((e) => e.bundleCid === undefined).map((e) => e.leafIndex)).toEqual(versions.map((_, i) => i).filter((i) => i % 3 === 0));
      const listed = new Set<number>();
      for (const bundle of partial.bundles) for (const entry of await readStoredBundle(deps.content, deps.keys, bundle.cid, bundle.subject)) listed.add(entry.leafIndex);
      expect([...listed].sort((a, b) => a - b)).toEqual(versions.map((_, i) => i).filter((i) => i % 3 !== 0));
      await expect(buildAnchorWindow([{ ...versions[1], leaf: randomBytes(31) }], deps)).rejects.toThrow(/32 bytes/);
    });
  });

  it('rejects empty windows and versions that are not stored JSON objects', async () => {
    await fixture(async (deps) => {
      await expect(buildAnchorWindow([], deps)).rejects.toThrow(ProvenanceFailureError);
      const bad = { type: 'Observation', id: 'x', version: '1', bytes: Buffer.from(' {"a":1}\n'), salt: randomBytes(32) };
      await expect(buildAnchorWindow([bad], deps)).rejects.toThrow(/stored JSON object/);
      await expect(buildAnchorWindow([{ ...bad, bytes: Buffer.from('{}'), salt: randomBytes(8) }], deps)).rejects.toThrow(/salt/);
    });
  });
});
