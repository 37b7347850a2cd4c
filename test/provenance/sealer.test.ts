import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { buildAnchorWindow, type WindowVersion } from '../../server/provenance/anchor-window.ts';
import { KeySubjects } from '../../server/provenance/key-subject.ts';
import { leafHash } from '../../server/provenance/leaf.ts';
import { Sealer } from '../../server/provenance/sealer.ts';
import { searchParameters } from '../../server/fhir/search/definitions/search-parameters.ts';
import type { VersionsToHash } from '../../server/provenance/sealer-protocol.ts';
import type { CommittedWrite } from '../../server/store/repository.ts';

const BASE = 'http://localhost/fhir';

function observation(i: number, patient: string, text = 'heart rate'): CommittedWrite {
  const resource = { resourceType: 'Observation', id: `o${i}`, status: 'final', code: { text }, subject: { reference: `Patient/${patient}` }, valueQuantity: { value: 60 + i } };
  return { type: 'Observation', id: `o${i}`, rid: 100 + i, version: 1, lastUpdated: '2026-01-01T00:00:00.000Z', json: JSON.stringify({ ...resource, meta: { versionId: '1' } }), resource, action: 'create', created: true };
}

/** Versions to hash as the leaf recorder sends them: one array per field. */
function columns(list: Array<{ rid: number; version: number; type: string; id: string; generated: boolean }>): VersionsToHash {
  return { rids: list.map((v) => v.rid), versions: list.map((v) => v.version), types: list.map((v) => v.type), ids: list.map((v) => v.id), generated: list.map((v) => v.generated) };
}

describe('provenance sealer thread', () => {
  const sealer = new Sealer(new KeySubjects(searchParameters(), BASE));
  afterAll(() => sealer.close());

  it('hashes what it was handed at commit, and seals the window as buildAnchorWindow would', async () => {
    // Multi-byte text in the middle of the batch: its UTF-8 bytes outgrow the room sized by characters.
    const writes = [observation(1, 'a'), observation(2, 'b', `Herzfrequenz – ${'心拍数💓'.repeat(40)}`), observation(3, 'a'), { ...observation(4, 'b'), action: 'none' as const }];
    sealer.hold(writes);
    const toHash = writes.slice(0, 3).map((w) => ({ rid: w.rid, version: w.version, type: w.type, id: w.id, generated: false }));
    const hashed = await sealer.hash(columns(toHash));
    if (hashed === 'missing') throw new Error('the sealer should hold these versions');
    // As a dictionary: names once, then each version's index into them (1-based, as the leaf run stores it).
    expect(hashed.subjectNames).toEqual(['Patient/a', 'Patient/b']);
    expect(hashed.subjectAt).toEqual([1, 2, 1]);
    const versions: WindowVersion[] = writes.slice(0, 3).map((w, i) => {
      const salt = Buffer.from(hashed.salts.subarray(i * 32, (i + 1) * 32));
      const bytes = Buffer.from(w.json!);
      expect(Buffer.from(hashed.leaves.subarray(i * 32, (i + 1) * 32)).equals(leafHash(salt, bytes))).toBe(true);
      return { type: w.type, id: w.id, version: '1', bytes, salt, patient: hashed.subjectNames[hashed.subjectAt[i]! - 1] };
    });

    sealer.numbered(hashed.batch, 41);
    expect((await sealer.windowSubjects(41, 43))?.sort()).toEqual(['Patient/a', 'Patient/b']);
    expect(await sealer.windowSubjects(41, 44)).toBeUndefined();
    const keys = new Map([['Patient/a', randomBytes(32)], ['Patient/b', randomBytes(32)]]);
    const sealed = await sealer.seal(41, 43, keys);

    const stored: Uint8Array[] = [];
    const reference = await buildAnchorWindow(versions, {
      keys: { patientKeys: async () => keys },
      content: { put: async (bytes) => (stored.push(bytes), (await import('../../server/provenance/unixfs-cid.ts')).unixfsCid(bytes)), get: async () => new Uint8Array(), has: async () => false, close: async () => undefined },
    });
    expect(sealed.root).toBe(reference.root);
    expect(sealed.manifestCid).toBe(reference.manifestCid);
    expect(sealed.bundles).toEqual(reference.bundles);
    // Bundles first, the manifest last, each with the bytes its CID names.
    expect(sealed.blocks.map((b) => b.cid)).toEqual([...reference.bundles.map((b) => b.cid), reference.manifestCid]);
    expect(sealed.blocks.map((b) => Buffer.from(b.bytes))).toEqual(stored.map((b) => Buffer.from(b)));

    // Released once built: a second seal must be given the versions (read back from the database).
    sealer.release(41, 43);
    await expect(sealer.seal(41, 43, keys)).rejects.toThrow(/not held/);
    expect((await sealer.seal(41, 43, keys, versions)).root).toBe(reference.root);
  });

  it('answers missing for versions it was not handed, and hashes them when given their content', async () => {
    const write = observation(9, 'c');
    const toHash = [{ rid: write.rid, version: 1, type: 'Observation', id: write.id, generated: false }];
    expect(await sealer.hash(columns(toHash))).toBe('missing');
    const hashed = await sealer.hash(columns(toHash), [{ json: write.json!, subject: 'Patient/c' }]);
    if (hashed === 'missing') throw new Error('contents were given');
    expect(hashed.subjectNames).toEqual(['Patient/c']);
    // A window Provenance (generated) is sealed under the shared key whatever it was handed with.
    const generated = await sealer.hash(columns([{ ...toHash[0], generated: true }]), [{ json: write.json!, subject: 'Patient/c' }]);
    expect(generated !== 'missing' && generated.subjectNames).toEqual(['#shared']);
  });

  it('forgets a patient on erasure: held versions are dropped before they are hashed', async () => {
    const write = observation(20, 'd');
    sealer.hold([write]);
    await sealer.forget('Patient/d', [write.rid]);
    expect(await sealer.hash(columns([{ rid: write.rid, version: 1, type: 'Observation', id: write.id, generated: false }]))).toBe('missing');
  });

  it('starts a fresh thread after losing one: what it held is gone, and is read back instead', async () => {
    const write = observation(30, 'e');
    sealer.hold([write]);
    await sealer.close();
    const toHash = [{ rid: write.rid, version: 1, type: 'Observation', id: write.id, generated: false }];
    expect(await sealer.hash(columns(toHash))).toBe('missing');
    const hashed = await sealer.hash(columns(toHash), [{ json: write.json!, subject: 'Patient/e' }]);
    expect(hashed !== 'missing' && hashed.subjectNames).toEqual(['Patient/e']);
  });
});
