import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ProvenanceFailureError } from './errors.ts';

/**
 * The sealed form of a device payload as received:
 *
 *     offset 0   "VCS" 0x01        format magic and version (also the GCM AAD)
 *     offset 4   GCM nonce         12 bytes
 *     offset 16  AES-256-GCM(dek, payload) + 16-byte tag
 *
 * Unlike a bundle (envelope.ts) the data key is not inside: the payload is sealed, and its CID
 * fixed, inside the ingest transaction, before anyone knows whose readings it holds. The key is
 * wrapped under the patients' keys later, next to the CID (provenance_ingest_source), and erasing
 * a patient removes those wraps and destroys the patient key.
 */
const MAGIC = Buffer.from([0x56, 0x43, 0x53, 0x01]);
const NONCE = 12;
const TAG = 16;

export function sealSource(payload: Uint8Array): { sealed: Buffer; dek: Buffer } {
  const dek = randomBytes(32);
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', dek, nonce);
  cipher.setAAD(MAGIC);
  const body = Buffer.concat([cipher.update(payload), cipher.final()]);
  return { sealed: Buffer.concat([MAGIC, nonce, body, cipher.getAuthTag()]), dek };
}

export function openSource(sealed: Uint8Array, dek: Uint8Array): Buffer {
  const blob = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (blob.length < MAGIC.length + NONCE + TAG || !blob.subarray(0, MAGIC.length).equals(MAGIC)) throw new ProvenanceFailureError('keys', 'not a sealed source payload');
  try {
    const decipher = createDecipheriv('aes-256-gcm', dek, blob.subarray(MAGIC.length, MAGIC.length + NONCE));
    decipher.setAAD(MAGIC);
    decipher.setAuthTag(blob.subarray(blob.length - TAG));
    return Buffer.concat([decipher.update(blob.subarray(MAGIC.length + NONCE, blob.length - TAG)), decipher.final()]);
  } catch (err) {
    throw new ProvenanceFailureError('keys', 'sealed source payload failed authentication', { cause: err });
  }
}
