import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ProvenanceFailureError } from './errors.ts';

export const KEK_ENV = 'VITALCHAIN_KEK';
export const PREVIOUS_KEK_ENV = 'VITALCHAIN_KEK_PREVIOUS';
const LOCAL_KEK_FILE = 'kek.local';

export interface ResolvedKek {
  kek: Buffer;
  /** Keys the key file may still be wrapped under (after an operator changed VITALCHAIN_KEK). */
  previous: Buffer[];
  source: 'environment' | 'local-file';
  /** Set when the KEK sits next to the data it protects: fine for a laptop, not for production. */
  warning?: string;
}

/**
 * The KEK comes from VITALCHAIN_KEK (32 bytes as base64 or 64 hex digits). When it is unset the
 * embedded default generates one into DATA_DIR/keys/kek.local and says so in `warning`: anyone who
 * copies DATA_DIR then holds both the key and the data, so production must set the variable.
 */
export async function resolveKek(env: Record<string, string | undefined>, dataDir: string): Promise<ResolvedKek> {
  const previous = (env[PREVIOUS_KEK_ENV] ?? '').split(',').filter(Boolean).map((value) => parseKek(value, PREVIOUS_KEK_ENV));
  if (env[KEK_ENV]) return { kek: parseKek(env[KEK_ENV], KEK_ENV), previous, source: 'environment' };
  const file = path.join(dataDir, 'keys', LOCAL_KEK_FILE);
  const warning = `${KEK_ENV} is not set: using a key-encryption key stored in ${file}. Set ${KEK_ENV} in production.`;
  try {
    return { kek: parseKek((await readFile(file, 'utf8')).trim(), file), previous, source: 'local-file', warning };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const kek = randomBytes(32);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${kek.toString('base64')}\n`, { mode: 0o600, flag: 'wx', flush: true });
  await rename(temp, file);
  return { kek, previous, source: 'local-file', warning };
}

export function parseKek(value: string, origin: string): Buffer {
  const text = value.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (bytes.length !== 32) throw new ProvenanceFailureError('keys', `${origin} must hold a 32-byte key (base64 or hex)`);
  return bytes;
}

/** A short public fingerprint of a KEK (HMAC, so it reveals nothing about the key). */
export function kekId(kek: Uint8Array): string {
  return createHmac('sha256', kek).update('vitalchain kek id').digest('hex').slice(0, 16);
}
