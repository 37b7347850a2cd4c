import { createCipheriv, createDecipheriv } from 'node:crypto';

/** AES-256 Key Wrap (RFC 3394) from node:crypto: a wrapped 32-byte key is 40 bytes and carries its own integrity check. */
const DEFAULT_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');

export function wrapKey(kek: Uint8Array, key: Uint8Array): Buffer {
  const cipher = createCipheriv('id-aes256-wrap', kek, DEFAULT_IV);
  return Buffer.concat([cipher.update(key), cipher.final()]);
}

/** Throws when `kek` is not the key that wrapped `wrapped` (or the bytes were altered). */
export function unwrapKey(kek: Uint8Array, wrapped: Uint8Array): Buffer {
  const decipher = createDecipheriv('id-aes256-wrap', kek, DEFAULT_IV);
  return Buffer.concat([decipher.update(wrapped), decipher.final()]);
}
