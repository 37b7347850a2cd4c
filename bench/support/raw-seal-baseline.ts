import { createCipheriv, randomBytes } from 'node:crypto';
import { leafHash } from '../../server/provenance/leaf.ts';

/**
 * The raw floor the provenance benches report against, in milliseconds: per window, one
 * AES-256-GCM pass under a fresh key over its versions' bytes, and each version's salted SHA-256
 * leaf — what sealing must do at the least, without bundles, CIDs, tree or manifest.
 */
export function rawSealMs(windows: ReadonlyArray<ReadonlyArray<{ salt: Buffer; bytes: Buffer }>>): number {
  const started = performance.now();
  for (const window of windows) {
    const cipher = createCipheriv('aes-256-gcm', randomBytes(32), randomBytes(12));
    for (const v of window) {
      leafHash(v.salt, v.bytes);
      cipher.update(v.bytes);
    }
    cipher.final();
  }
  return performance.now() - started;
}
