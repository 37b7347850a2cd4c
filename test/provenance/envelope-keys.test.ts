import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBundle, sealBundle } from '../../server/provenance/envelope.ts';
import { ProvenanceFailureError } from '../../server/provenance/errors.ts';
import { FileKeyStore } from '../../server/provenance/file-key-store.ts';
import { KEK_ENV, PREVIOUS_KEK_ENV, kekId, resolveKek } from '../../server/provenance/kek.ts';
import { unwrapKey, wrapKey } from '../../server/provenance/key-wrap.ts';
import { withTempDir } from './tmp-dir.ts';

const plaintext = Buffer.from('{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Observation","valueQuantity":{"value":1.50}}}]}');

describe('AES key wrap', () => {
  it('matches RFC 3394 §4.6 (256-bit key data under a 256-bit KEK)', () => {
    const kek = Buffer.from('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F', 'hex');
    const key = Buffer.from('00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F', 'hex');
    const wrapped = wrapKey(kek, key);
    expect(wrapped.toString('hex')).toBe('28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21');
    expect(unwrapKey(kek, wrapped)).toEqual(key);
    expect(() => unwrapKey(randomBytes(32), wrapped)).toThrow();
  });
});

describe('envelope encryption', () => {
  it('round-trips, hides the plaintext and fails under another key', () => {
    const key = randomBytes(32);
    const sealed = sealBundle(plaintext, key);
    expect(sealed.length).toBe(4 + 40 + 12 + plaintext.length + 16);
    expect(sealed.includes(Buffer.from('Observation'))).toBe(false);
    expect(openBundle(sealed, key)).toEqual(plaintext);
    expect(() => openBundle(sealed, randomBytes(32))).toThrow(ProvenanceFailureError);
  });

  it('detects any altered byte of header or ciphertext', () => {
    const key = randomBytes(32);
    const sealed = sealBundle(plaintext, key);
    for (const at of [0, 10, 50, 60, sealed.length - 1]) {
      const altered = Buffer.from(sealed);
      altered[at] ^= 0x01;
      expect(() => openBundle(altered, key), `byte ${at}`).toThrow(ProvenanceFailureError);
    }
  });

  it('gives each distinct bundle its own data key, and the same bundle the same ciphertext', () => {
    const key = randomBytes(32);
    const a = sealBundle(plaintext, key);
    const b = sealBundle(Buffer.concat([plaintext, Buffer.from(' ')]), key);
    expect(sealBundle(plaintext, key)).toEqual(a);
    // Different wrapped DEKs: a key never encrypts two different plaintexts.
    expect(a.subarray(4, 44)).not.toEqual(b.subarray(4, 44));
    expect(sealBundle(plaintext, randomBytes(32)).subarray(4, 44)).not.toEqual(a.subarray(4, 44));
  });
});

/** RFC 5869 HKDF-Expand, written out block by block (T(i) = HMAC(PRK, T(i-1) ‖ info ‖ i)). */
function hkdfExpand(hashName: string, prk: Buffer, info: Buffer, length: number): Buffer {
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let i = 1; Buffer.concat(blocks).length < length; i++) {
    previous = createHmac(hashName, prk).update(Buffer.concat([previous, info, Buffer.from([i])])).digest();
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

describe('bundle data key derivation', () => {
  it('is HKDF-Expand-SHA512 of the patient key over the label and the plaintext digest', () => {
    // The expansion above against RFC 5869 test case 1 (SHA-256) first.
    const prk = Buffer.from('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5', 'hex');
    expect(hkdfExpand('sha256', prk, Buffer.from('f0f1f2f3f4f5f6f7f8f9', 'hex'), 42).toString('hex')).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
    const key = randomBytes(32);
    const sealed = sealBundle(plaintext, key);
    const info = Buffer.concat([Buffer.from('vitalchain bundle dek v2'), createHash('sha256').update(plaintext).digest()]);
    const okm = hkdfExpand('sha512', key, info, 44);
    expect(unwrapKey(key, sealed.subarray(4, 44))).toEqual(okm.subarray(0, 32));
    expect(sealed.subarray(44, 56)).toEqual(okm.subarray(32, 44));
  });
});

describe('FileKeyStore', () => {
  it('creates keys once, keeps them across reopen, and stores them only wrapped', async () => {
    await withTempDir(async (dir) => {
      const kek = randomBytes(32);
      const store = await FileKeyStore.open(dir, kek);
      const keys = await store.patientKeys(['Patient/a', 'Patient/b', 'Patient/a']);
      expect(keys.size).toBe(2);
      expect(await store.patientKey('Patient/a')).toEqual(keys.get('Patient/a'));
      await store.close();

      const file = await readFile(path.join(dir, 'keys', 'patient-keys.jsonl'), 'utf8');
      expect(file.includes(keys.get('Patient/a')!.toString('base64'))).toBe(false);
      expect(JSON.parse(file.split('\n')[0])).toEqual({ format: 'vitalchain-keystore/1', kek: kekId(kek) });

      const reopened = await FileKeyStore.open(dir, kek);
      expect(await reopened.existingPatientKey('Patient/a')).toEqual(keys.get('Patient/a'));
      expect(await reopened.existingPatientKey('Patient/zzz')).toBeUndefined();
      await reopened.close();
      await expect(FileKeyStore.open(dir, randomBytes(32))).rejects.toThrow(/another key-encryption key/);
    });
  });

  it('rotates the KEK without touching sealed payloads', async () => {
    await withTempDir(async (dir) => {
      const oldKek = randomBytes(32);
      const store = await FileKeyStore.open(dir, oldKek);
      const sealed = sealBundle(plaintext, await store.patientKey('Patient/a'));
      const before = await readFile(path.join(dir, 'keys', 'patient-keys.jsonl'), 'utf8');
      const newKek = randomBytes(32);
      await store.rotateKek(newKek);
      expect(openBundle(sealed, (await store.existingPatientKey('Patient/a'))!)).toEqual(plaintext);
      await store.close();
      const after = await readFile(path.join(dir, 'keys', 'patient-keys.jsonl'), 'utf8');
      expect(after).not.toBe(before);
      expect(after).toContain(kekId(newKek));

      await expect(FileKeyStore.open(dir, oldKek)).rejects.toThrow(ProvenanceFailureError);
      const reopened = await FileKeyStore.open(dir, newKek);
      expect(openBundle(sealed, (await reopened.existingPatientKey('Patient/a'))!)).toEqual(plaintext);
      await reopened.close();
    });
  });

  it('re-wraps on open when the KEK changed and the previous one is supplied', async () => {
    await withTempDir(async (dir) => {
      const oldKek = randomBytes(32);
      const first = await FileKeyStore.open(dir, oldKek);
      const key = await first.patientKey('Patient/a');
      await first.close();
      const newKek = randomBytes(32);
      const env = { [KEK_ENV]: newKek.toString('base64'), [PREVIOUS_KEK_ENV]: oldKek.toString('hex') };
      const resolved = await resolveKek(env, dir);
      expect(resolved.source).toBe('environment');
      expect(resolved.warning).toBeUndefined();
      const store = await FileKeyStore.open(dir, resolved.kek, resolved.previous);
      expect(await store.existingPatientKey('Patient/a')).toEqual(key);
      await store.close();
      const header = JSON.parse((await readFile(path.join(dir, 'keys', 'patient-keys.jsonl'), 'utf8')).split('\n')[0]);
      expect(header.kek).toBe(kekId(newKek));
    });
  });

  it('crypto-shreds one patient: their bundles become undecryptable, others stay readable', async () => {
    await withTempDir(async (dir) => {
      const kek = randomBytes(32);
      const store = await FileKeyStore.open(dir, kek);
      const keys = await store.patientKeys(['Patient/erase-me', 'Patient/keep']);
      const erased = sealBundle(plaintext, keys.get('Patient/erase-me')!);
      const kept = sealBundle(plaintext, keys.get('Patient/keep')!);
      const wrappedBefore = (await readFile(path.join(dir, 'keys', 'patient-keys.jsonl'), 'utf8')).split('\n')[1];

      expect(await store.destroyPatientKey('Patient/erase-me')).toBe(true);
      expect(await store.destroyPatientKey('Patient/erase-me')).toBe(false);
      expect(await store.existingPatientKey('Patient/erase-me')).toBeUndefined();
      expect(openBundle(kept, (await store.existingPatientKey('Patient/keep'))!)).toEqual(plaintext);
      await store.close();

      const file = await readFile(path.join(dir, 'keys', 'patient-keys.jsonl'), 'utf8');
      expect(file).not.toContain('Patient/erase-me');
      expect(file).not.toContain(JSON.parse(wrappedBefore).k);
      const reopened = await FileKeyStore.open(dir, kek);
      expect(await reopened.existingPatientKey('Patient/erase-me')).toBeUndefined();
      // A key made afresh for the same subject opens nothing sealed before the erasure.
      expect(() => openBundle(erased, keys.get('Patient/keep')!)).toThrow(ProvenanceFailureError);
      const fresh = await reopened.patientKey('Patient/erase-me');
      expect(() => openBundle(erased, fresh)).toThrow(ProvenanceFailureError);
      expect(openBundle(kept, (await reopened.existingPatientKey('Patient/keep'))!)).toEqual(plaintext);
      await reopened.close();
    });
  });
});

describe('resolveKek', () => {
  it('generates a local KEK with a warning when the environment has none, and reuses it', async () => {
    await withTempDir(async (dir) => {
      const first = await resolveKek({}, dir);
      expect(first.source).toBe('local-file');
      expect(first.warning).toMatch(new RegExp(`${KEK_ENV} is not set`));
      expect(first.kek.length).toBe(32);
      const second = await resolveKek({}, dir);
      expect(second.kek).toEqual(first.kek);
    });
  });

  it('rejects a KEK of the wrong length', async () => {
    await withTempDir(async (dir) => {
      await expect(resolveKek({ [KEK_ENV]: Buffer.alloc(16).toString('base64') }, dir)).rejects.toThrow(ProvenanceFailureError);
    });
  });
});
