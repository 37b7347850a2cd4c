import { hash, randomBytes } from 'node:crypto';

/**
 * The leaf committed for one stored resource version:
 *
 *     leaf = SHA-256(salt ‖ SHA-256(bytes))
 *
 * `bytes` are the exact stored JSON bytes of the version (no canonicalisation: what is stored is what
 * is proven, decimals and all). The random per-version salt makes a leaf reveal nothing about the
 * content, so a proof handed out for one version says nothing about its neighbours in the tree.
 * Hashing the bytes first lets a proof carry either the bytes or only their SHA-256; the salt comes
 * first so its length may vary without ambiguity (the last 32 bytes are always the bytes' digest).
 */
export const LEAF_CONSTRUCTION = 'sha256(salt || sha256(bytes))';
export const SALT_BYTES = 32;
/** Shorter salts would make brute-forcing a guessed resource against a published leaf feasible. */
export const MIN_SALT_BYTES = 16;

export function newSalt(): Buffer {
  return randomBytes(SALT_BYTES);
}

export function sha256(bytes: Uint8Array): Buffer {
  return hash('sha256', bytes, 'buffer');
}

export function leafFromDigest(salt: Uint8Array, bytesSha256: Uint8Array): Buffer {
  if (salt.length < MIN_SALT_BYTES) throw new RangeError(`leaf salt must be at least ${MIN_SALT_BYTES} bytes`);
  if (bytesSha256.length !== 32) throw new RangeError('bytes digest must be 32 bytes');
  return hash('sha256', Buffer.concat([salt, bytesSha256]), 'buffer');
}

export function leafHash(salt: Uint8Array, bytes: Uint8Array): Buffer {
  return leafFromDigest(salt, sha256(bytes));
}

/** The two hashes' input and output, reused: writeLeaf runs on one thread at a time (its own). */
const joined = Buffer.alloc(SALT_BYTES + 32);

/**
 * leafHash(salt, bytes) written into `target` at `offset`. The sealer computes one per committed
 * version, and each digest returned as a Buffer was an ArrayBuffer of its own for the collector
 * to track and sweep (two per version); digests as 'binary' (latin1) text — one character per
 * byte, so no hex to decode — die young instead.
 */
export function writeLeaf(salt: Uint8Array, bytes: Uint8Array, target: Buffer, offset: number): void {
  if (salt.length !== SALT_BYTES) {
    leafHash(salt, bytes).copy(target, offset);
    return;
  }
  joined.set(salt, 0);
  joined.write(hash('sha256', bytes, 'binary'), SALT_BYTES, 32, 'binary');
  target.write(hash('sha256', joined, 'binary'), offset, 32, 'binary');
}
