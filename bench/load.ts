/**
 * bench:load — Synthea transaction bundles through POST /fhir (hospital and practitioner
 * bundles first, then the patient bundles, several in parallel), resources/s, against the raw
 * baseline of plain `pg` INSERTs of the same resources' JSON (one multi-row INSERT per bundle,
 * same parallelism) on the same database engine in the same run.
 *   npx tsx bench/load.ts [--runs 3] [--clients 4] [--backends postgres,pglite]
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import os from 'node:os';
import { argument, benchPool, freshDatabase, median, REPO, startBenchServer, writeResults } from './support/bench-server.ts';

const SYNTHEA = path.resolve(REPO, '..', 'shared', 'synthea');
const runs = Number(argument('runs', '3'));
const clients = Number(argument('clients', '4'));
const backends = argument('backends', 'postgres,pglite').split(',') as Array<'postgres' | 'pglite'>;

const files = fs.readdirSync(SYNTHEA).filter((f) => f.endsWith('.json.gz')).sort();
const ordered = [...files.filter((f) => f.startsWith('0-hospital')), ...files.filter((f) => f.startsWith('0-practitioner')), ...files.filter((f) => !f.startsWith('0-'))];
const bundles = ordered.map((file) => zlib.gunzipSync(fs.readFileSync(path.join(SYNTHEA, file))).toString('utf8'));
const resourceCount = bundles.reduce((total, text) => total + (JSON.parse(text).entry?.length ?? 0), 0);

async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  }));
}

async function loadThroughServer(backend: 'postgres' | 'pglite'): Promise<number> {
  const server = await startBenchServer(backend);
  try {
    const post = async (text: string) => {
      const response = await fetch(server.url, { method: 'POST', body: text, headers: { 'Content-Type': 'application/fhir+json', Prefer: 'return=minimal' } });
      const body = await response.text();
      if (response.status !== 200) throw new Error(`load failed: ${response.status} ${body.slice(0, 300)}`);
    };
    const started = performance.now();
    await post(bundles[0]);
    await post(bundles[1]);
    await pool(bundles.slice(2), clients, post);
    return resourceCount / ((performance.now() - started) / 1000);
  } finally {
    await server.stop();
  }
}

/** Each bundle's resources as rows (type, id, JSON text) for the raw baseline. */
const rows = bundles.map((text) =>
  (JSON.parse(text).entry ?? []).map((entry: any) => [entry.resource.resourceType, entry.resource.id ?? crypto.randomUUID(), JSON.stringify(entry.resource)] as const),
);
const RAW_TABLE = 'CREATE TABLE raw_resource (seq bigserial PRIMARY KEY, type text NOT NULL, id text NOT NULL, content text NOT NULL)';
const RAW_INSERT = 'INSERT INTO raw_resource (type, id, content) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])';
const columns = (bundle: ReadonlyArray<readonly [string, string, string]>) => [bundle.map((r) => r[0]), bundle.map((r) => r[1]), bundle.map((r) => r[2])];

async function rawBaseline(backend: 'postgres' | 'pglite'): Promise<number> {
  if (backend === 'postgres') {
    const database = await freshDatabase('vc_raw');
    const client = benchPool(database.url, clients);
    try {
      await client.query(RAW_TABLE);
      const started = performance.now();
      await pool(rows, clients, async (bundle) => void (await client.query(RAW_INSERT, columns(bundle))));
      return resourceCount / ((performance.now() - started) / 1000);
    } finally {
      await client.end();
      await database.drop();
    }
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vc-raw-'));
  const db = await PGlite.create(dir);
  try {
    await db.exec(RAW_TABLE);
    const started = performance.now();
    for (const bundle of rows) await db.query(RAW_INSERT, columns(bundle));
    return resourceCount / ((performance.now() - started) / 1000);
  } finally {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const results: Record<string, unknown> = {};
console.log(`bench:load — ${bundles.length} Synthea bundles, ${resourceCount} resources, ${clients} parallel clients, ${runs} runs (median)`);
for (const backend of backends) {
  const server: number[] = [];
  const raw: number[] = [];
  for (let run = 0; run < runs; run++) {
    server.push(await loadThroughServer(backend));
    raw.push(await rawBaseline(backend));
    console.log(`  ${backend} run ${run + 1}: server ${server[run].toFixed(0)} res/s, raw INSERT ${raw[run].toFixed(0)} res/s`);
  }
  const s = median(server);
  const r = median(raw);
  results[backend] = { serverResourcesPerSecond: Math.round(s), rawInsertResourcesPerSecond: Math.round(r), ratio: +(s / r).toFixed(3), runs: { server, raw } };
}
console.log('\n| backend | server res/s | raw INSERT res/s | server / raw |\n|---|---|---|---|');
for (const [backend, r] of Object.entries(results) as Array<[string, any]>) {
  console.log(`| ${backend} | ${r.serverResourcesPerSecond} | ${r.rawInsertResourcesPerSecond} | ${r.ratio} |`);
}
console.log(`\nwritten to ${writeResults('load', results)}`);
