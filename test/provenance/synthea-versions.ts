import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { parseJson, stringifyJson } from '../../server/fhir/json/index.ts';
import { newSalt } from '../../server/provenance/leaf.ts';
import type { ContentVersion } from '../../server/provenance/anchor-window.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const syntheaDir = path.resolve(repoRoot, '..', 'shared', 'synthea');

/**
 * Window versions made from Synthea patient bundles in ../shared/synthea: each resource as the
 * server would store it (precision-preserving JSON, version 1), grouped under its patient.
 */
export function syntheaVersions(limit: number, patients = 3): ContentVersion[] {
  const files = readdirSync(syntheaDir).filter((f) => !f.startsWith('0-') && f.endsWith('.json.gz')).sort().slice(0, patients);
  const versions: ContentVersion[] = [];
  for (const file of files) {
    const bundle = parseJson(gunzipSync(readFileSync(path.join(syntheaDir, file))).toString('utf8')) as { entry: { resource: Record<string, unknown> }[] };
    const patient = bundle.entry.find((e) => e.resource.resourceType === 'Patient')?.resource.id as string;
    for (const { resource } of bundle.entry) {
      if (versions.length >= limit * ((files.indexOf(file) + 1) / files.length)) break;
      const stored = { ...resource, meta: { versionId: '1', lastUpdated: '2024-01-01T00:00:00Z' } };
      versions.push({
        type: resource.resourceType as string,
        id: resource.id as string,
        version: '1',
        bytes: Buffer.from(stringifyJson(stored)),
        salt: newSalt(),
        patient: `Patient/${patient}`,
      });
    }
  }
  return versions;
}
