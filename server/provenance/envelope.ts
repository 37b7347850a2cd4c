import { createCipheriv, createDecipheriv, createHmac, hash } from 'node:crypto';
import { ProvenanceFailureError } from './errors.ts';
import { unwrapKey, wrapKey } from './key-wrap.ts';

/**
 * Envelope encryption of one bundle under a patient key:
 *
 *     offset 0   "VCB" 0x01                    format magic and version
 *     offset 4   AES-KW(patientKey, DEK)       40 bytes
 *     offset 44  GCM nonce                     12 bytes
 *     offset 56  AES-256-GCM(DEK, plaintext)   + 16-byte tag at the end; AAD = bytes 0..44
 *
 * No key identifier and nothing about the patient is in the clear: the caller knows from its own
 * records which patient a bundle belongs to. Destroying the patient key makes every DEK wrapped
 * under it, and so every bundle, unreadable (crypto-shredding).
 *
 * The DEK and nonce are derived, not drawn at random: HKDF-Expand-SHA512(PRK = patient key,
 * info = label ‖ SHA-256 of the plaintext), RFC 5869. Each distinct bundle still gets its own key
 * (a key never encrypts two different plaintexts, so a fixed-per-key nonce is safe), and a window
 * rebuilt after a crash produces the very same ciphertext, CIDs, manifest and root, so
 * re-anchoring it is exactly idempotent. The only thing this reveals is that two ciphertexts hold
 * the same bundle, and bundles carry random salts.
 *
 * No extract step: the patient key is already a uniformly random 256-bit key, the case in which
 * RFC 5869 (§3.3) lets it go, and one SHA-512 block gives all 44 bytes. crypto.hkdfSync always
 * extracts and makes a KeyObject per call: ~9 µs per bundle, a third of sealing a window's
 * bundle of ten readings (scratch). Bundles sealed under the earlier derivation (HKDF-SHA256 with
 * the digest as salt, label "… v1") open the same way: the DEK travels wrapped in the header.
 */
const MAGIC = Buffer.from([0x56, 0x43, 0x42, 0x01]);
const WRAPPED_LENGTH = 40;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
const HEADER_LENGTH = MAGIC.length + WRAPPED_LENGTH + NONCE_LENGTH;
const INFO = Buffer.from('vitalchain bundle dek v2');
/** HKDF-Expand's block counter: the first block is all the key material needed. */
const FIRST_BLOCK = Buffer.from([1]);

export function sealBundle(plaintext: Uint8Array, patientKey: Uint8Array): Buffer {
  const derived = createHmac('sha512', patientKey).update(INFO).update(hash('sha256', plaintext, 'buffer')).update(FIRST_BLOCK).digest();
  const dek = derived.subarray(0, 32);
  const nonce = derived.subarray(32, 32 + NONCE_LENGTH);
  const header = Buffer.concat([MAGIC, wrapKey(patientKey, dek), nonce]);
  const cipher = createCipheriv('aes-256-gcm', dek, nonce);
  cipher.setAAD(header.subarray(0, MAGIC.length + WRAPPED_LENGTH));
  const body = cipher.update(plaintext);
  const final = cipher.final();
  return Buffer.concat([header, body, final, cipher.getAuthTag()]);
}

export function openBundle(sealed: Uint8Array, patientKey: Uint8Array): Buffer {
  const blob = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (blob.length < HEADER_LENGTH + TAG_LENGTH || !blob.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new ProvenanceFailureError('keys', 'not an encrypted bundle (bad magic or too short)');
  }
  let dek: Buffer;
  try {
    dek = unwrapKey(patientKey, blob.subarray(MAGIC.length, MAGIC.length + WRAPPED_LENGTH));
  } catch (err) {
    throw new ProvenanceFailureError('keys', 'bundle key does not unwrap under this patient key', { cause: err });
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', dek, blob.subarray(MAGIC.length + WRAPPED_LENGTH, HEADER_LENGTH));
    decipher.setAAD(blob.subarray(0, MAGIC.length + WRAPPED_LENGTH));
    decipher.setAuthTag(blob.subarray(blob.length - TAG_LENGTH));
    return Buffer.concat([decipher.update(blob.subarray(HEADER_LENGTH, blob.length - TAG_LENGTH)), decipher.final()]);
  } catch (err) {
    throw new ProvenanceFailureError('keys', 'bundle failed authentication (altered ciphertext)', { cause: err });
  }
}
