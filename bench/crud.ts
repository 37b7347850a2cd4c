/**
 * bench:crud — read latency (p50/p99) and create throughput with 8 concurrent HTTP clients,
 * against the raw baseline of the same work as plain `pg` queries on a plain table (read by id,
 * INSERT of the same JSON) with 8 connections, in the same run.
 *   npx tsx bench/crud.ts [--runs 3] [--clients 8] [--seconds 10] [--backends postgres,pglite]
 */
import http from 'node:http';
import pg from 'pg';
import { argument, benchPool, freshDatabase, median, percentile, startBenchServer, writeResults } from './support/bench-server.ts';

const runs = Number(argument('runs', '3'));
const clients = Number(argument('clients', '8'));
const seconds = Number(argument('seconds', '10'));
const backends = argument('backends', 'postgres,pglite').split(',') as Array<'postgres' | 'pglite'>;
const PRELOAD = 2000;

const agent = new http.Agent({ keepAlive: true, maxSockets: clients });

function request(url: string, method: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: body ? { 'Content-Type': 'application/fhir+json', 'Content-Length': Buffer.byteLength(body) } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function patient(i: number): Record<string, unknown> {
  return {
    resourceType: 'Patient',
    identifier: [{ system: 'urn:bench', value: `p${i}` }],
    name: [{ family: `Family${i % 997}`, given: [`Given${i}`] }],
    gender: i % 2 ? 'male' : 'female',
    birthDate: `19${String(50 + (i % 50)).padStart(2, '0')}-0${1 + (i % 9)}-1${i % 9}`,
    address: [{ city: 'Springfield', postalCode: String(10000 + (i % 5000)) }],
  };
}

async function forDuration(work: (client: number, n: number) => Promise<void>): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(Array.from({ length: clients }, async (_, client) => {
    for (let n = 0; performance.now() < deadline; n++) {
      await work(client, n);
      done++;
    }
  }));
  return done;
}

async function throughServer(backend: 'postgres' | 'pglite') {
  const server = await startBenchServer(backend);
  try {
    const ids: string[] = [];
    for (let i = 0; i < PRELOAD; i += 100) {
      const entry = Array.from({ length: 100 }, (_, k) => ({ resource: patient(i + k), request: { method: 'POST', url: 'Patient' } }));
      const reply = await request(server.url, 'POST', JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }));
      for (const e of JSON.parse(reply.text).entry) ids.push(e.response.location.split('/')[1]);
    }
    const latencies: number[] = [];
    const reads = await forDuration(async (client, n) => {
      const started = performance.now();
      const reply = await request(`${server.url}/Patient/${ids[(client * 7919 + n * 104729) % ids.length]}`, 'GET');
      latencies.push(performance.now() - started);
      if (reply.status !== 200) throw new Error(`read failed ${reply.status}`);
    });
    let counter = PRELOAD;
    const creates = await forDuration(async () => {
      const reply = await request(`${server.url}/Patient`, 'POST', JSON.stringify(patient(counter++)));
      if (reply.status !== 201) throw new Error(`create failed ${reply.status} ${reply.text.slice(0, 200)}`);
    });
    return { readP50: percentile(latencies, 50), readP99: percentile(latencies, 99), readsPerSecond: reads / seconds, createsPerSecond: creates / seconds };
  } finally {
    await server.stop();
  }
}

async function rawBaseline() {
  const database = await freshDatabase('vc_rawcrud');
  const pool = benchPool(database.url, clients);
  try {
    await pool.query('CREATE TABLE raw_patient (id text PRIMARY KEY, content text NOT NULL)');
    const ids: string[] = [];
    for (let i = 0; i < PRELOAD; i++) {
      const id = crypto.randomUUID();
      ids.push(id);
      await pool.query('INSERT INTO raw_patient VALUES ($1, $2)', [id, JSON.stringify(patient(i))]);
    }
    const latencies: number[] = [];
    await forDuration(async (client, n) => {
      const started = performance.now();
      await pool.query('SELECT content FROM raw_patient WHERE id = $1', [ids[(client * 7919 + n * 104729) % ids.length]]);
      latencies.push(performance.now() - started);
    });
    let counter = PRELOAD;
    const creates = await forDuration(async () => {
      await pool.query('INSERT INTO raw_patient VALUES ($1, $2)', [crypto.randomUUID(), JSON.stringify(patient(counter++))]);
    });
    return { readP50: percentile(latencies, 50), readP99: percentile(latencies, 99), createsPerSecond: creates / seconds };
  } finally {
    await pool.end();
    await database.drop();
  }
}

const results: Record<string, any> = {};
console.log(`bench:crud — ${clients} clients, ${seconds} s per phase, ${runs} runs (median); raw baseline = plain pg on PostgreSQL`);
const raw: Array<Awaited<ReturnType<typeof rawBaseline>>> = [];
for (let run = 0; run < runs; run++) raw.push(await rawBaseline());
const rawMedian = { readP50: median(raw.map((r) => r.readP50)), readP99: median(raw.map((r) => r.readP99)), createsPerSecond: median(raw.map((r) => r.createsPerSecond)) };
for (const backend of backends) {
  const samples: Array<Awaited<ReturnType<typeof throughServer>>> = [];
  for (let run = 0; run < runs; run++) {
    samples.push(await throughServer(backend));
    const last = samples[samples.length - 1];
    console.log(`  ${backend} run ${run + 1}: read p50 ${last.readP50.toFixed(2)} ms, p99 ${last.readP99.toFixed(2)} ms, ${last.readsPerSecond.toFixed(0)} reads/s; ${last.createsPerSecond.toFixed(0)} creates/s`);
  }
  results[backend] = {
    readP50Ms: +median(samples.map((s) => s.readP50)).toFixed(2),
    readP99Ms: +median(samples.map((s) => s.readP99)).toFixed(2),
    readsPerSecond: Math.round(median(samples.map((s) => s.readsPerSecond))),
    createsPerSecond: Math.round(median(samples.map((s) => s.createsPerSecond))),
  };
}
results.rawPg = { readP50Ms: +rawMedian.readP50.toFixed(2), readP99Ms: +rawMedian.readP99.toFixed(2), createsPerSecond: Math.round(rawMedian.createsPerSecond) };
console.log('\n| | read p50 ms | read p99 ms | creates/s | create ratio to raw |\n|---|---|---|---|---|');
for (const backend of backends) {
  const r = results[backend];
  console.log(`| server on ${backend} | ${r.readP50Ms} | ${r.readP99Ms} | ${r.createsPerSecond} | ${(r.createsPerSecond / results.rawPg.createsPerSecond).toFixed(2)} |`);
}
console.log(`| raw pg (baseline) | ${results.rawPg.readP50Ms} | ${results.rawPg.readP99Ms} | ${results.rawPg.createsPerSecond} | 1.00 |`);
console.log(`\nwritten to ${writeResults('crud', results)}`);
agent.destroy();
