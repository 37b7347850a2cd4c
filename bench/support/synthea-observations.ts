import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseJson, stringifyJson } from '../../server/fhir/json/index.ts';
import type { ContentVersion } from '../../server/provenance/anchor-window.ts';
import { newSalt } from '../../server/provenance/leaf.ts';
import { REPO } from './bench-server.ts';

/**
 * `count` Synthea Observations (../shared/synthea) as stored versions, each with its own salt and
 * its patient, from the first `patients` patients' bundles, interleaved across patients as device
 * ingest for a ward would arrive: a 1,000-version window then holds about 1,000 / `patients` of
 * each patient's.
 */
export function syntheaObservations(count: number, patients: number): ContentVersion[] {
  const dir = path.resolve(REPO, '..', 'shared', 'synthea');
  const perPatient: ContentVersion[][] = [];
  for (const file of fs.readdirSync(dir).filter((f) => !f.startsWith('0-') && f.endsWith('.json.gz')).sort().slice(0, patients)) {
    const bundle = parseJson(gunzipSync(fs.readFileSync(path.join(dir, file))).toString('utf8')) as { entry: { resource: Record<string, unknown> }[] };
    const patient = bundle.entry.find((e) => e.resource.resourceType === 'Patient')!.resource.id as string;
    perPatient.push(
      bundle.entry
        .filter((e) => e.resource.resourceType === 'Observation')
        .map(({ resource }) => ({ type: 'Observation', id: resource.id as string, version: '1', bytes: Buffer.from(stringifyJson({ ...resource, meta: { versionId: '1', lastUpdated: '2024-01-01T00:00:00.000Z' } })), salt: newSalt(), patient: `Patient/${patient}` })),
    );
  }
  const out: ContentVersion[] = [];
  for (let i = 0; out.length < count; i++) {
    const before = out.length;
    for (const list of perPatient) if (i < list.length && out.length < count) out.push(list[i]!);
    if (out.length === before) throw new Error(`the first ${patients} Synthea patients have fewer than ${count} Observations`);
  }
  return out;
}
