import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

/** ../shared next to the repository: Synthea bundles, device fixtures, reference notes (never copied in). */
export const SHARED_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared');
export const SYNTHEA_DIR = path.join(SHARED_DIR, 'synthea');

export function syntheaFiles(): string[] {
  return fs.readdirSync(SYNTHEA_DIR).filter((name) => name.endsWith('.json.gz')).sort();
}

/** The hospital and practitioner bundles first (others reference them), then patients. */
export function syntheaLoadOrder(): string[] {
  const files = syntheaFiles();
  return [...files.filter((f) => f.startsWith('0-hospital')), ...files.filter((f) => f.startsWith('0-practitioner')), ...files.filter((f) => !f.startsWith('0-'))];
}

export function readSynthea(name: string): string {
  return zlib.gunzipSync(fs.readFileSync(path.join(SYNTHEA_DIR, name))).toString('utf8');
}
