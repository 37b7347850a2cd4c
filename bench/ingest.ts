/**
 * Device ingestion end to end, with the raw baseline measured in the same run.
 *
 *   npm run bench:ingest -- [--runs 3] [--clients 4] [--batch 2500] [--requests 10] [--singles 400] [--backends postgres,pglite] [--index-cost on|off]
 *
 * The server runs as a child process (`node --import tsx server/main.ts`, features as in
 * production, PROVENANCE/RISK_SCORING off so only ingestion is measured); this process is only
 * the HTTP clients. Per backend and run:
 *   - throughput: `--clients` concurrent clients each POST `--requests` $ingest batches of
 *     `--batch` BLE Heart Rate readings (JSON array, mapping ble-gatt, 100 registered Devices
 *     linked to Patients). Readings/s = Observations committed (with index rows and outbox
 *     events, counted in the outbox afterwards) / wall time;
 *   - latency: `--singles` sequential one-reading requests; p50/p99 in ms;
 *   - raw baseline: the same Observation JSON (as the server stored it) inserted with plain
 *     `INSERT … SELECT unnest(…)` into a two-column table, same batch size and concurrency, over
 *     the same kind of connection (pg pool for PostgreSQL, an in-process PGlite for PGlite).
 * `--index-cost off` preloads bench/ingest-memo-index-rows.ts into the server: search index rows
 * are computed once per Observation code and reused, to show ingestion without index extraction.
 * Prints medians and writes bench/results/ingest.json (ingest-no-index-cost.json for that variant).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { startChildServer, type ChildServer } from '../test/helpers/child-server.ts';
import { benchPool } from './support/bench-server.ts';
import { devicesBundle, readings } from './support/ble-readings.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    clients: { type: 'string', default: '4' },
    batch: { type: 'string', default: '2500' },
    requests: { type: 'string', default: '10' },
    singles: { type: 'string', default: '400' },
    backends: { type: 'string', default: 'postgres,pglite' },
    'index-cost': { type: 'string', default: 'on' },
    'admin-url': { type: 'string', default: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const runs = Number(values.runs);
const clients = Number(values.clients);
const batch = Number(values.batch);
const requestsPerClient = Number(values.requests);
const singles = Number(values.singles);
const here = path.dirname(fileURLToPath(import.meta.url));

async function post(url: string, body: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${url}/$ingest?mapping=ble-gatt`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/fhir+json' }, body });
  return { status: response.status, text: await response.text() };
}

async function setup(url: string): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json' }, body: devicesBundle() });
  if (response.status !== 200) throw new Error(`setup failed: ${response.status} ${await response.text()}`);
}

async function observationCount(url: string): Promise<number> {
  const response = await fetch(`${url}/Observation?_summary=count`, { headers: { Accept: 'application/fhir+json' } });
  return ((await response.json()) as { total: number }).total;
}

/** Concurrent $ingest batches; returns readings/s of committed Observations. */
async function throughput(url: string): Promise<{ readingsPerSecond: number; observations: number; seconds: number }> {
  const bodies = Array.from({ length: clients }, () => Array.from({ length: requestsPerClient }, () => readings(batch)));
  const before = await observationCount(url);
  const started = performance.now();
  await Promise.all(
    bodies.map(async (mine) => {
      for (const body of mine) {
        const reply = await post(url, body);
        if (reply.status !== 200) throw new Error(`$ingest answered ${reply.status}: ${reply.text.slice(0, 500)}`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const observations = (await observationCount(url)) - before;
  if (observations !== clients * requestsPerClient * batch) throw new Error(`expected ${clients * requestsPerClient * batch} new Observations, found ${observations}`);
  return { readingsPerSecond: observations / seconds, observations, seconds };
}

async function latency(url: string): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  for (let i = 0; i < singles; i++) {
    const body = readings(1);
    const started = performance.now();
    const reply = await post(url, body);
    times.push(performance.now() - started);
    if (reply.status !== 200) throw new Error(`single $ingest answered ${reply.status}: ${reply.text.slice(0, 300)}`);
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length * 0.5)]!, p99: times[Math.min(times.length - 1, Math.floor(times.length * 0.99))]! };
}

/** The same Observation JSON the server stores, for the baseline. */
async function sampleJson(url: string): Promise<string[]> {
  const response = await fetch(`${url}/Observation?_count=1000`, { headers: { Accept: 'application/fhir+json' } });
  const bundle = (await response.json()) as { entry: Array<{ resource: unknown }> };
  return bundle.entry.map((entry) => JSON.stringify(entry.resource));
}

interface RawTarget {
  query(sql: string, params?: unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

async function rawBaseline(target: RawTarget, samples: string[]): Promise<number> {
  await target.query('CREATE TABLE IF NOT EXISTS raw_observation (id text PRIMARY KEY, content text NOT NULL)');
  const total = clients * requestsPerClient * batch;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let r = 0; r < requestsPerClient; r++) {
        const ids: string[] = [];
        const contents: string[] = [];
        for (let i = 0; i < batch; i++) {
          ids.push(`${c}-${r}-${i}-${randomBytes(4).toString('hex')}`);
          contents.push(samples[i % samples.length]!);
        }
        await target.query('INSERT INTO raw_observation (id, content) SELECT * FROM unnest($1::text[], $2::text[])', [ids, contents]);
      }
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function runBackend(backend: 'postgres' | 'pglite'): Promise<Record<string, unknown>> {
  const rows: Array<{ readingsPerSecond: number; baseline: number; p50: number; p99: number }> = [];
  for (let run = 0; run < runs; run++) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vc-bench-ingest-'));
    let databaseUrl: string | undefined;
    let dropDatabase = async () => {};
    if (backend === 'postgres') {
      const name = `vc_bench_${randomBytes(5).toString('hex')}`;
      const admin = new pg.Client({ connectionString: values['admin-url'] });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = new URL(values['admin-url']!);
      url.pathname = `/${name}`;
      databaseUrl = url.toString();
      dropDatabase = async () => {
        const client = new pg.Client({ connectionString: values['admin-url'] });
        await client.connect();
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await client.end();
      };
    }
    let server: ChildServer | undefined;
    try {
      const memo: Record<string, string> = values['index-cost'] === 'off' ? { NODE_OPTIONS: `--import tsx --import ${path.join(here, 'ingest-memo-index-rows.ts')}` } : {};
      server = await startChildServer({ DATA_DIR: dataDir, PROVENANCE: 'off', RISK_SCORING: 'off', LOG_LEVEL: 'warn', ...memo, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) });
      await setup(server.url);
      // Warm-up: JIT, validation compilation, connection pool.
      for (let i = 0; i < 3; i++) await post(server.url, readings(500));
      const measured = await throughput(server.url);
      const single = await latency(server.url);
      const samples = await sampleJson(server.url);
      await server.kill('SIGTERM');
      server = undefined;
      let baseline: number;
      if (backend === 'postgres') {
        const pool = benchPool(databaseUrl!, clients);
        baseline = await rawBaseline({ query: (sql, params) => pool.query(sql, params as unknown[]), close: () => pool.end() }, samples);
        await pool.end();
      } else {
        const lite = await PGlite.create(path.join(dataDir, 'raw'));
        baseline = await rawBaseline({ query: (sql, params) => lite.query(sql, params as unknown[]), close: () => lite.close() }, samples);
        await lite.close();
      }
      rows.push({ readingsPerSecond: measured.readingsPerSecond, baseline, p50: single.p50, p99: single.p99 });
      process.stderr.write(`${backend} run ${run + 1}: ${Math.round(measured.readingsPerSecond)} readings/s, baseline ${Math.round(baseline)}/s, single p50 ${single.p50.toFixed(1)} ms p99 ${single.p99.toFixed(1)} ms\n`);
    } finally {
      await server?.kill('SIGKILL');
      await dropDatabase();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const readingsPerSecond = median(rows.map((r) => r.readingsPerSecond));
  const baseline = median(rows.map((r) => r.baseline));
  return {
    backend,
    readingsPerSecond: Math.round(readingsPerSecond),
    rawBaselinePerSecond: Math.round(baseline),
    ratioToBaseline: Number((readingsPerSecond / baseline).toFixed(3)),
    singleP50Ms: Number(median(rows.map((r) => r.p50)).toFixed(2)),
    singleP99Ms: Number(median(rows.map((r) => r.p99)).toFixed(2)),
    runs: rows,
  };
}

const results: Array<Record<string, unknown>> = [];
for (const backend of values.backends!.split(',') as Array<'postgres' | 'pglite'>) results.push(await runBackend(backend));
console.log(`\n$ingest end to end${values['index-cost'] === 'off' ? ' (index rows memoized: no extraction cost)' : ''}: ${clients} clients × ${requestsPerClient} requests × ${batch} BLE readings; ${singles} single readings; median of ${runs} runs (${os.cpus().length} cores, Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)})\n`);
console.log('backend   | readings/s | raw INSERT/s | ratio | single p50 ms | single p99 ms');
console.log('----------|-----------:|-------------:|------:|--------------:|--------------:');
for (const row of results) {
  console.log(`${String(row.backend).padEnd(9)} | ${String(row.readingsPerSecond).padStart(10)} | ${String(row.rawBaselinePerSecond).padStart(12)} | ${String(row.ratioToBaseline).padStart(5)} | ${String(row.singleP50Ms).padStart(13)} | ${String(row.singleP99Ms).padStart(13)}`);
}
await mkdir(path.join(here, 'results'), { recursive: true });
const resultFile = values['index-cost'] === 'off' ? 'ingest-no-index-cost.json' : 'ingest.json';
await writeFile(path.join(here, 'results', resultFile), JSON.stringify({ date: new Date().toISOString(), node: process.version, cores: os.cpus().length, loadAverage: os.loadavg(), indexCost: values['index-cost'], clients, batch, requestsPerClient, singles, runs, results }, null, 2));
