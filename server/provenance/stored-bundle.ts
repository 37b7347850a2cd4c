import { readBundle, type BundleEntry } from './bundle.ts';
import type { ContentStore } from './content-store.ts';
import { openBundle } from './envelope.ts';
import { ProvenanceFailureError } from './errors.ts';
import type { KeyStore } from './key-store.ts';

/** Fetches and decrypts one stored bundle; fails for good once the subject's key has been destroyed. */
export async function readStoredBundle(content: ContentStore, keys: KeyStore, cid: string, subject: string): Promise<BundleEntry[]> {
  const key = await keys.existingPatientKey(subject);
  if (!key) throw new ProvenanceFailureError('keys', 'no key for this subject: it was never created or has been destroyed');
  return readBundle(openBundle(await content.get(cid), key));
}
