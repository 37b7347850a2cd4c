/**
 * Cost of validateResource on the write path, with JSON.parse of the same text as the baseline.
 *
 *   npx tsx bench/validate.ts [--synthea 12] [--min-ms 20]
 *
 * Corpora: the Observation examples of hl7.fhir.r4.examples (all 64, and the vital-sign ones
 * against their profile), a device-style vital-sign Observation (what ingestion writes), and the
 * resources of the first `--synthea` Synthea transaction Bundles in ../shared/synthea, grouped by
 * type. Each resource is validated repeatedly for at least `--min-ms` (after warm-up, so compiled
 * validators are cached as in the server); the table gives the median µs per resource of each
 * group, with JSON.parse and the project's precision-keeping parseJson of the same text alongside.
 * Prints a table and writes bench/results/validate.json.
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { exampleFileNames, readDefinitionFile } from '../conformance/definition-package.ts';
import { validateResource, type ValidateOptions } from '../conformance/validate.ts';
import { parseJson } from '../server/fhir/json/index.ts';

const { values: args } = parseArgs({
  options: { synthea: { type: 'string', default: '12' }, 'min-ms': { type: 'string', default: '20' } },
});
const here = path.dirname(fileURLToPath(import.meta.url));
const syntheaDir = path.resolve(here, '..', '..', 'shared', 'synthea');
const minMs = Number(args['min-ms']);

/** Mean µs per call of fn, repeated for at least minMs after a warm-up. */
function timeIt(fn: () => unknown, warmUpCalls = 200, batch = 50): number {
  for (let i = 0; i < warmUpCalls; i++) fn();
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < batch; i++) fn();
    calls += batch;
    elapsed = performance.now() - start;
  } while (elapsed < minMs);
  return (elapsed * 1000) / calls;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

interface Row {
  group: string;
  resources: number;
  bytes: number;
  jsonParseUs: number;
  parseJsonUs: number;
  validateUs: number;
  errors: number;
}

interface Case {
  text: string;
  options?: ValidateOptions;
}

function measure(group: string, cases: Case[]): Row {
  const parse: number[] = [];
  const precise: number[] = [];
  const validate: number[] = [];
  let errors = 0;
  const texts = cases.map((c) => c.text);
  for (const { text, options: opts } of cases) {
    const resource = parseJson(text);
    errors += validateResource(resource, opts).filter((i) => i.severity === 'error').length;
    parse.push(timeIt(() => JSON.parse(text)));
    precise.push(timeIt(() => parseJson(text)));
    validate.push(timeIt(() => validateResource(resource, opts)));
  }
  return {
    group,
    resources: texts.length,
    bytes: Math.round(median(texts.map((t) => t.length))),
    jsonParseUs: median(parse),
    parseJsonUs: median(precise),
    validateUs: median(validate),
    errors,
  };
}

const VITAL_PROFILES: Record<string, string> = {
  'Observation-heart-rate.json': 'heartrate',
  'Observation-blood-pressure.json': 'bp',
  'Observation-satO2.json': 'oxygensat',
  'Observation-respiratory-rate.json': 'resprate',
  'Observation-body-temperature.json': 'bodytemp',
  'Observation-body-height.json': 'bodyheight',
  'Observation-bmi.json': 'bmi',
  'Observation-head-circumference.json': 'headcircum',
};

/** What device ingestion writes: a heart-rate reading claiming the vital-signs heartrate profile. */
const DEVICE_OBSERVATION = JSON.stringify({
  resourceType: 'Observation',
  meta: { profile: ['http://hl7.org/fhir/StructureDefinition/heartrate'] },
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs', display: 'Vital Signs' }] }],
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
  subject: { reference: 'Patient/0b8e3d3a-5a59-4c43-9a39-4a4c2d1c4e11' },
  device: { reference: 'Device/7f2c1e55-1e7b-4bd1-8b7f-6a4d2b3c9e01' },
  effectiveDateTime: '2024-06-01T10:15:00Z',
  valueQuantity: { value: 72.0, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
}).replace('"value":72', '"value":72.0');

/** Entry resources by type, and the Bundles' texts, of the first `limit` patient Bundles. */
async function syntheaResources(limit: number): Promise<{ byType: Map<string, string[]>; bundles: string[] }> {
  const byType = new Map<string, string[]>();
  const bundles: string[] = [];
  const files = (await readdir(syntheaDir)).filter((name) => name.endsWith('.json.gz') && !name.startsWith('0-')).sort().slice(0, limit);
  for (const file of files) {
    const text = gunzipSync(await readFile(path.join(syntheaDir, file))).toString('utf8');
    bundles.push(text);
    const bundle = JSON.parse(text);
    for (const entry of bundle.entry ?? []) {
      const type = entry.resource?.resourceType;
      if (!type) continue;
      let list = byType.get(type);
      if (!list) byType.set(type, (list = []));
      list.push(JSON.stringify(entry.resource));
    }
  }
  return { byType, bundles };
}

/** Whole transaction Bundles as a transaction POST would validate them, per entry (first 3 Bundles). */
function measureBundles(texts: string[]): Row {
  const sample = texts.slice(0, 3);
  const per = (text: string, us: number) => us / ((JSON.parse(text) as { entry?: unknown[] }).entry?.length ?? 1);
  const time = (fn: () => unknown) => timeIt(fn, 2, 1);
  let errors = 0;
  const validate = sample.map((text) => {
    const bundle = parseJson(text);
    errors += validateResource(bundle).filter((i) => i.severity === 'error').length;
    return per(text, time(() => validateResource(bundle)));
  });
  return {
    group: 'Synthea transaction Bundle, per entry',
    resources: sample.length,
    bytes: Math.round(median(sample.map((text) => per(text, text.length)))),
    jsonParseUs: median(sample.map((text) => per(text, time(() => JSON.parse(text))))),
    parseJsonUs: median(sample.map((text) => per(text, time(() => parseJson(text))))),
    validateUs: median(validate),
    errors,
  };
}

/**
 * Every case validated until the JIT has settled, before anything is timed: the server validates
 * the same few shapes all day, so steady state is what matters, not the first calls.
 */
function warmUp(groups: Case[][]): void {
  const all = groups.flat().map((c) => ({ resource: parseJson(c.text), options: c.options }));
  for (let round = 0; round < 300; round++) for (const { resource, options } of all) validateResource(resource, options);
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const observations = exampleFileNames().filter((name) => name.startsWith('Observation-'));
  const plain = (text: string): Case => ({ text });
  // Synthea entries come from transaction Bundles: their urn:uuid: references resolve inside the Bundle.
  const entry = (text: string): Case => ({ text, options: { inBundle: true } });
  const groups: [string, Case[]][] = [];
  groups.push(['device heart-rate Observation (+heartrate profile)', [plain(DEVICE_OBSERVATION)]]);
  groups.push(['R4 example Observations (base)', observations.map(readDefinitionFile).map(plain)]);
  const vitals = Object.entries(VITAL_PROFILES);
  groups.push(['R4 vital-sign examples (base)', vitals.map(([file]) => plain(readDefinitionFile(file)))]);
  groups.push([
    'R4 vital-sign examples (+own profile)',
    vitals.map(([file, profile]) => ({ text: readDefinitionFile(file), options: { profiles: [`http://hl7.org/fhir/StructureDefinition/${profile}`] } })),
  ]);
  const { byType: synthea, bundles } = await syntheaResources(Number(args.synthea));
  const sample = (texts: string[]) => texts.filter((_, i) => i % Math.max(1, Math.floor(texts.length / 150)) === 0);
  for (const type of ['Observation', 'Patient', 'Encounter', 'Claim', 'ExplanationOfBenefit', 'Condition', 'Procedure', 'MedicationRequest', 'DiagnosticReport', 'Immunization']) {
    const texts = synthea.get(type);
    if (texts?.length) groups.push([`Synthea ${type}`, sample(texts).map(entry)]);
  }
  warmUp(groups.map(([, cases]) => cases));
  for (const [group, cases] of groups) rows.push(measure(group, cases));
  rows.push(measureBundles(bundles));

  const table = rows.map((r) => ({
    group: r.group,
    n: r.resources,
    'median bytes': r.bytes,
    'JSON.parse µs': r.jsonParseUs.toFixed(1),
    'parseJson µs': r.parseJsonUs.toFixed(1),
    'validate µs': r.validateUs.toFixed(1),
    'validate / JSON.parse': (r.validateUs / r.jsonParseUs).toFixed(1),
    'errors found': r.errors,
  }));
  console.table(table);
  const out = path.join(here, 'results', 'validate.json');
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, minMs, rows }, null, 2));
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}

await main();
