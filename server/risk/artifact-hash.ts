import { createHash } from 'node:crypto';

/** Lower-case hex sha256: the identity of a model artifact in its card and its Device. */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}
