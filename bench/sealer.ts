/**
 * The provenance sealer thread alone: CPU per version of its real thread (server/provenance/
 * sealer.ts), fed as the pipeline feeds it, against salted SHA-256 plus one AES-256-GCM pass over
 * the same bytes on one thread (the floor of what sealing must do).
 *
 *   npm run bench:sealer -- [--runs 5] [--versions 100000] [--patients 100]
 *
 * Per run, `--versions` versions of 20,000 Synthea Observations from `--patients` patients,
 * interleaved (a 1,000-leaf window then holds ~10 of each patient's, as in bench:provenance's
 * device load), taken again and again under new row ids: handed over in commits of 2,500 (hold),
 * hashed in consumer batches of 1,250 and numbered, then sealed in 1,000-leaf windows (tree,
 * per-patient bundles under their keys, CIDs, manifest) and released.
 * The thread's CPU comes from /proc (Linux), so the main thread's part — the server's, not the
 * sealer's — is left out. A first run warms the JIT compiler up and is not counted.
 *
 * Why: in bench:provenance the sealer is the largest single share of provenance's extra CPU, and
 * there single runs of the whole server vary by ten points and more on a shared host. Alone, one
 * thread on an otherwise idle process, its runs stay within about ±5 % of each other, so a change
 * to it can be measured here first. The host still drifts between invocations: compare a change
 * in invocations alternated with the code before it, by the ratio.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { parseJson, stringifyJson } from '../server/fhir/json/index.ts';
import { searchParameters } from '../server/fhir/search/definitions/search-parameters.ts';
import { KeySubjects } from '../server/provenance/key-subject.ts';
import { Sealer } from '../server/provenance/sealer.ts';
import type { CommittedWrite } from '../server/store/repository.ts';
import { median, writeResults } from './support/bench-server.ts';
import { threadCpuSecondsAtNice } from './support/process-cpu.ts';
import { rawSealMs } from './support/raw-seal-baseline.ts';
import { syntheaObservations } from './support/synthea-observations.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    versions: { type: 'string', default: '100000' },
    patients: { type: 'string', default: '100' },
  },
});
const runs = Number(values.runs);
const count = Number(values.versions);
const COMMIT = 2500;
const BATCH = 1250;
const WINDOW = 1000;
/** The sealer thread's niceness here: how /proc tells its thread from the others. */
const NICE = 7;

if (count % COMMIT !== 0) throw new Error(`--versions must be a multiple of ${COMMIT}`);
/** Distinct Observations; a run takes them round and round (as new rows), since 100 patients have no 100,000. */
const versions = syntheaObservations(20_000, Number(values.patients));
const patients = [...new Set(versions.map((v) => v.patient!))];
const keys = new Map(patients.map((p) => [p, randomBytes(32)]));
// Synthea's transaction bundles refer to patients by urn:uuid; stored, the reference is Patient/<id>,
// which is what puts a version under its patient's key (key-subject.ts).
// The project's JSON (decimals kept as written), as the stored versions are made.
const resources = versions.map((v) => ({ ...(parseJson(v.bytes.toString('utf8')) as Record<string, unknown>), subject: { reference: v.patient } }));
const texts = resources.map((resource) => stringifyJson(resource));
const bytes = texts.map((text) => Buffer.from(text));
const meanBytes = Math.round(bytes.reduce((n, b) => n + b.length, 0) / bytes.length);
/** A run's versions as the baseline takes them, window by window. */
const baselineWindows = Array.from({ length: count / WINDOW }, (_, w) =>
  Array.from({ length: WINDOW }, (_, j) => {
    const at = (w * WINDOW + j) % versions.length;
    return { salt: versions[at]!.salt, bytes: bytes[at]! };
  }),
);

/** One run: every version through hold → hash → numbered → seal → release; rids and leaf numbers continue from `offset`. */
async function sealerRun(sealer: Sealer, offset: number): Promise<number | undefined> {
  const before = threadCpuSecondsAtNice(NICE);
  let nextLeaf = offset;
  for (let c = 0; c < count; c += COMMIT) {
    const commit: CommittedWrite[] = [];
    for (let i = c; i < c + COMMIT; i++) {
      const at = i % versions.length;
      const v = versions[at]!;
      commit.push({ type: v.type, id: v.id, rid: offset + i + 1, version: 1, lastUpdated: '2024-01-01T00:00:00.000Z', json: texts[at], resource: resources[at], action: 'create', created: true });
    }
    sealer.hold(commit);
    for (let b = 0; b < COMMIT; b += BATCH) {
      const batch = commit.slice(b, b + BATCH);
      const hashed = await sealer.hash({ rids: batch.map((w) => w.rid), versions: batch.map(() => 1), types: batch.map((w) => w.type), ids: batch.map((w) => w.id), generated: batch.map(() => false) });
      if (hashed === 'missing') throw new Error('the sealer did not hold a committed version');
      sealer.numbered(hashed.batch, offset + c + b);
    }
    for (; nextLeaf + WINDOW <= offset + c + COMMIT; nextLeaf += WINDOW) {
      const last = nextLeaf + WINDOW - 1;
      const subjects = await sealer.windowSubjects(nextLeaf, last);
      if (!subjects) throw new Error(`window ${nextLeaf}-${last} is not held whole`);
      const sealed = await sealer.seal(nextLeaf, last, new Map(subjects.map((s) => [s, keys.get(s) ?? fail(`no key for ${s}`)])));
      if (sealed.blocks.length !== subjects.length + 1) throw new Error(`window ${nextLeaf}-${last}: ${sealed.blocks.length} blocks for ${subjects.length} bundles`);
      sealer.release(nextLeaf, last);
    }
  }
  const after = threadCpuSecondsAtNice(NICE);
  return before === undefined || after === undefined ? undefined : ((after - before) * 1e6) / count;
}

function fail(message: string): never {
  throw new Error(message);
}

const sealer = new Sealer(new KeySubjects(searchParameters(), 'http://localhost/fhir'), NICE);
const samples = { sealer: [] as number[], baseline: [] as number[] };
for (let run = -1; run < runs; run++) {
  const micros = await sealerRun(sealer, (run + 1) * count);
  if (micros === undefined) throw new Error('bench:sealer reads thread CPU from /proc (Linux only)');
  if (micros === 0) throw new Error(`no thread at niceness ${NICE} used CPU: the sealer thread's priority could not be set, so /proc cannot tell it apart`);
  const floor = (rawSealMs(baselineWindows) * 1000) / count;
  if (run < 0) continue;
  samples.sealer.push(micros);
  samples.baseline.push(floor);
  process.stderr.write(`run ${run + 1}: sealer ${micros.toFixed(2)} µs per version, baseline ${floor.toFixed(2)}\n`);
}
await sealer.close();

const results = { sealerMicros: median(samples.sealer), baselineMicros: median(samples.baseline), meanBytes, patients: patients.length, runs: samples };
const row = (label: string, value: string) => console.log(`${label.padEnd(60)} ${value}`);
console.log(`\nsealer thread — ${os.cpus().length} cores, Node ${process.version}; medians of ${runs} runs of ${count.toLocaleString('en')} versions of Synthea Observations (${meanBytes} B each, ${patients.length} patients), 1,000-leaf windows\n`);
row('sealer thread CPU per version (µs)', `${results.sealerMicros.toFixed(2)} (runs ${Math.min(...samples.sealer).toFixed(2)}–${Math.max(...samples.sealer).toFixed(2)})`);
row('baseline: salted SHA-256 + AES-256-GCM, one thread (µs)', results.baselineMicros.toFixed(2));
row('ratio', (results.sealerMicros / results.baselineMicros).toFixed(2));
console.log(`\nwrote ${writeResults('sealer', results)}`);
