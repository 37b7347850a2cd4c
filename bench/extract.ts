/**
 * bench:extract — search-index extraction cost per resource on the write path: our compiled
 * extractors (all parameters of the type, row building included) against evaluating the same
 * SearchParameter expressions with fhirpath.js (the baseline), on real Synthea resources.
 *   npx tsx bench/extract.ts [--runs 5]
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import { parseJson, withPlainNumbers } from '../server/fhir/json/index.ts';
import { searchParameters } from '../server/fhir/search/definitions/search-parameters.ts';
import { extractIndexRows } from '../server/fhir/search/index/extract-index.ts';
import { argument, median, REPO, writeResults } from './support/bench-server.ts';
import { canonicalQuantity } from '../terminology/ucum.ts';

const runs = Number(argument('runs', '5'));
const dir = path.resolve(REPO, '..', 'shared', 'synthea');
const file = fs.readdirSync(dir).filter((f) => !f.startsWith('0-') && f.endsWith('.json.gz'))[0];
const bundle = parseJson(zlib.gunzipSync(fs.readFileSync(path.join(dir, file))).toString('utf8')) as any;
const registry = searchParameters();
const byType = new Map<string, any[]>();
for (const entry of bundle.entry) {
  const list = byType.get(entry.resource.resourceType) ?? [];
  list.push(entry.resource);
  byType.set(entry.resource.resourceType, list);
}
const context = { baseUrl: 'http://localhost:8080/fhir', pidOf: () => 1, canonicalize: canonicalQuantity };
const compiledFhirpath = new Map<string, (r: any) => unknown>();
for (const type of byType.keys()) {
  for (const param of registry.paramsFor(type).values()) {
    if (!param.expression || param.type === 'composite' || param.aliasOf) continue;
    compiledFhirpath.set(`${type}.${param.code}`, fhirpath.compile(param.expression, r4Model as any) as any);
  }
}

function perResource(work: () => void, count: number): number {
  const started = performance.now();
  work();
  return ((performance.now() - started) * 1000) / count;
}

const results: Record<string, any> = {};
console.log(`bench:extract — ${bundle.entry.length} resources of one Synthea bundle, ${runs} runs (median µs per resource)`);
console.log('\n| type | resources | compiled µs | fhirpath.js µs | speed-up |\n|---|---|---|---|---|');
let totalOurs = 0;
let totalBaseline = 0;
for (const [type, resources] of [...byType].sort((a, b) => b[1].length - a[1].length)) {
  const params = [...registry.paramsFor(type).values()];
  const ours: number[] = [];
  const baseline: number[] = [];
  for (let run = 0; run < runs; run++) {
    ours.push(perResource(() => { for (const r of resources) extractIndexRows(r, params, context); }, resources.length));
    baseline.push(perResource(() => {
      for (const r of resources) {
        const plain = withPlainNumbers(r);
        for (const param of params) {
          try {
            compiledFhirpath.get(`${type}.${param.code}`)?.(plain);
          } catch {
            // fhirpath.js refuses `(x as T)` on collections; the work done until then still counts.
          }
        }
      }
    }, resources.length));
  }
  const o = median(ours);
  const b = median(baseline);
  totalOurs += o * resources.length;
  totalBaseline += b * resources.length;
  results[type] = { resources: resources.length, compiledMicros: +o.toFixed(1), fhirpathMicros: +b.toFixed(1) };
  console.log(`| ${type} | ${resources.length} | ${o.toFixed(1)} | ${b.toFixed(1)} | ${(b / o).toFixed(1)}× |`);
}
const n = bundle.entry.length;
results.all = { compiledMicros: +(totalOurs / n).toFixed(1), fhirpathMicros: +(totalBaseline / n).toFixed(1) };
console.log(`| all | ${n} | ${(totalOurs / n).toFixed(1)} | ${(totalBaseline / n).toFixed(1)} | ${(totalBaseline / totalOurs).toFixed(1)}× |`);
console.log(`\nwritten to ${writeResults('extract', results)}`);
