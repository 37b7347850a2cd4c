/**
 * bench:search — replicates ../shared/synthea to ≥ 1,000,000 resources on the local PostgreSQL
 * (each copy's patients get fresh ids and identifiers), then measures p50/p99 at 8 clients for
 * typical searches, each beside the equivalent hand-written SQL on the same tables (plain `pg`,
 * same 8 connections) as the baseline, with the ratio.
 *   npx tsx bench/search.ts [--copies 11] [--seconds 10] [--clients 8] [--reuse]
 * --reuse keeps the loaded database (vc_bench_search) for the next run.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import pg from 'pg';
import { argument, benchPool, median, percentile, PG_ADMIN_URL, REPO, startBenchServer, writeResults } from './support/bench-server.ts';

const copies = Number(argument('copies', '11'));
const seconds = Number(argument('seconds', '10'));
const clients = Number(argument('clients', '8'));
const reuse = process.argv.includes('--reuse');
const DB_NAME = 'vc_bench_search';
const FIRST = 'system IS NOT DISTINCT FROM group_system AND code IS NOT DISTINCT FROM group_code';
const databaseUrl = (() => {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${DB_NAME}`;
  return url.toString();
})();

async function ensureDatabase(): Promise<boolean> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB_NAME])).rowCount! > 0;
  if (exists && !reuse) await admin.query(`DROP DATABASE ${DB_NAME} WITH (FORCE)`);
  if (!exists || !reuse) await admin.query(`CREATE DATABASE ${DB_NAME}`);
  await admin.end();
  return exists && reuse;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: clients + 2 });
function get(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    }).on('error', reject);
  });
}
function post(url: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'Content-Type': 'application/fhir+json', Prefer: 'return=minimal', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function load(url: string): Promise<void> {
  const dir = path.resolve(REPO, '..', 'shared', 'synthea');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json.gz')).sort();
  const read = (f: string) => zlib.gunzipSync(fs.readFileSync(path.join(dir, f))).toString('utf8');
  for (const f of files.filter((f) => f.startsWith('0-'))) if ((await post(url, read(f))).status !== 200) throw new Error(`could not load ${f}`);
  const patients = files.filter((f) => !f.startsWith('0-')).map(read);
  const started = Date.now();
  let loaded = 0;
  for (let copy = 0; copy < copies; copy++) {
    // Each copy: the same clinical content for different people (ids are assigned by the server).
    const bundles = patients.map((text) => text.replace(/"value": ?"([0-9a-f-]{36})"/g, (_m, id) => `"value":"${id}-${copy}"`));
    const queue = [...bundles];
    await Promise.all(Array.from({ length: 4 }, async () => {
      for (let b = queue.shift(); b; b = queue.shift()) {
        const reply = await post(url, b);
        if (reply.status !== 200) throw new Error(`load failed: ${reply.text.slice(0, 300)}`);
        loaded += (b.match(/"request"/g) ?? []).length;
      }
    }));
    console.log(`  copy ${copy + 1}/${copies}: ${loaded} resources, ${(loaded / ((Date.now() - started) / 1000)).toFixed(0)} res/s`);
  }
}

interface Case {
  name: string;
  url(sample: Sample): string;
  sql(sample: Sample): [string, unknown[]];
}

interface Sample {
  patient: string;
  code: string;
  family: string;
  from: string;
  to: string;
}

async function timed(work: (i: number) => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: clients }, async (_, client) => {
    for (let i = client; performance.now() < deadline; i += clients) {
      const started = performance.now();
      await work(i);
      latencies.push(performance.now() - started);
    }
  }));
  return latencies;
}

const exists = await ensureDatabase();
const server = await startBenchServer('postgres', { DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: String(clients + 4) });
const pool = benchPool(databaseUrl, clients);
try {
  if (!exists) {
    console.log(`loading ${copies} copies of Synthea…`);
    await load(server.url);
  }
  await pool.query('ANALYZE');
  const total = (await pool.query('SELECT count(*)::int AS n FROM resource')).rows[0].n;
  const pid = async (type: string, code: string) => (await pool.query('SELECT pid FROM search_param WHERE resource_type = $1 AND code = $2', [type, code])).rows[0].pid as number;
  const pids = { obsCode: await pid('Observation', 'code'), obsDate: await pid('Observation', 'date'), obsSubject: await pid('Observation', 'subject'), patFamily: await pid('Patient', 'family'), encSubject: await pid('Encounter', 'subject'), encPractitioner: await pid('Encounter', 'participant') };
  const samples: Sample[] = (await pool.query(
    `SELECT o.subject_id AS patient, o.code, lower(s.value) AS family
       FROM (SELECT subject_id, code FROM idx_observation WHERE code IS NOT NULL ORDER BY random() LIMIT 500) o
       JOIN resource p ON p.type = 'Patient' AND p.id = o.subject_id
       JOIN idx_string s ON s.rid = p.rid AND s.pid = $1`,
    [pids.patFamily],
  )).rows.map((row: any) => ({ ...row, from: '2015-01-01', to: '2016-01-01' }));
  console.log(`${total} resources; ${samples.length} samples; ${clients} clients, ${seconds} s per case`);
  const content = `SELECT v.content FROM resource r JOIN resource_version v ON v.rid = r.rid AND v.version = r.version WHERE r.rid = ANY($1::int8[])`;
  const cases: Case[] = [
    {
      name: 'Observation?patient&code (first page)',
      url: (s) => `Observation?patient=${s.patient}&code=${encodeURIComponent(s.code)}`,
      sql: (s) => [`${content.replace('ANY($1::int8[])', `ANY(ARRAY(SELECT DISTINCT rid FROM idx_observation WHERE subject_id = $1 AND code = $2 ORDER BY rid LIMIT 21))`)}`, [s.patient, s.code]],
    },
    {
      name: 'date range (patient, 1 year)',
      url: (s) => `Observation?patient=${s.patient}&date=ge${s.from}&date=lt${s.to}`,
      sql: (s) => [content.replace('ANY($1::int8[])', `ANY(ARRAY(SELECT DISTINCT rid FROM idx_observation WHERE subject_id = $1 AND low >= $2 AND high <= $3 ORDER BY rid LIMIT 21))`), [s.patient, s.from, s.to]],
    },
    {
      name: 'chained (subject:Patient.family + code)',
      url: (s) => `Observation?subject:Patient.family=${encodeURIComponent(s.family)}&code=${encodeURIComponent(s.code)}`,
      sql: (s) => [content.replace('ANY($1::int8[])', `ANY(ARRAY(
        SELECT t.rid FROM idx_token t JOIN idx_reference ref ON ref.rid = t.rid AND ref.pid = ${pids.obsSubject}
          JOIN resource p ON p.type = 'Patient' AND p.id = ref.target_id JOIN idx_string n ON n.rid = p.rid AND n.pid = ${pids.patFamily}
         WHERE t.pid = ${pids.obsCode} AND t.code = $1 AND n.value LIKE $2 ORDER BY t.rid LIMIT 21))`), [s.code, `${s.family}%`]],
    },
    {
      name: '_include (Encounter?patient + practitioner)',
      url: (s) => `Encounter?patient=${s.patient}&_include=Encounter:practitioner`,
      sql: (s) => [`WITH m AS (SELECT i.rid FROM idx_reference i WHERE i.pid = ${pids.encSubject} AND i.target_id = $1 ORDER BY i.rid LIMIT 21),
        t AS (SELECT DISTINCT target_type, target_id FROM idx_reference WHERE rid IN (SELECT rid FROM m) AND pid = ${pids.encPractitioner})
        SELECT v.content FROM m JOIN resource_version v ON v.rid = m.rid JOIN resource r ON r.rid = m.rid AND r.version = v.version
        UNION ALL
        SELECT v.content FROM t JOIN resource r ON r.type = t.target_type AND r.id = t.target_id JOIN resource_version v ON v.rid = r.rid AND v.version = r.version`, [s.patient]],
    },
    {
      name: '$lastn (one patient, max=1)',
      url: (s) => `Observation/$lastn?patient=${s.patient}&max=1`,
      // The best hand-written form: a skip scan over the patient's codes on idx_observation_lastn, top 1 per code.
      sql: (s) => [`${content.replace('ANY($1::int8[])', `ANY(ARRAY(WITH RECURSIVE c(gs, gc) AS ((SELECT coalesce(group_system, ''), coalesce(group_code, '') FROM idx_observation WHERE subject_id = $1 AND ${FIRST} ORDER BY 1, 2 LIMIT 1) UNION ALL SELECT n.gs, n.gc FROM c CROSS JOIN LATERAL (SELECT coalesce(group_system, '') gs, coalesce(group_code, '') gc FROM idx_observation WHERE subject_id = $1 AND ${FIRST} AND (coalesce(group_system, ''), coalesce(group_code, '')) > (c.gs, c.gc) ORDER BY 1, 2 LIMIT 1) n) SELECT l.rid FROM c CROSS JOIN LATERAL (SELECT rid FROM idx_observation WHERE subject_id = $1 AND ${FIRST} AND coalesce(group_system, '') = c.gs AND coalesce(group_code, '') = c.gc ORDER BY high DESC NULLS LAST, rid DESC LIMIT 1) l))`)}`, [s.patient]],
    },
    {
      name: '_total=accurate (Observation?code)',
      url: (s) => `Observation?code=${encodeURIComponent(s.code)}&_total=accurate&_count=1`,
      sql: (s) => [`SELECT count(DISTINCT rid) FROM idx_token WHERE pid = ${pids.obsCode} AND code = $1`, [s.code]],
    },
  ];
  const results: Record<string, unknown> = { resources: total };
  console.log('\n| search | server p50 ms | server p99 ms | raw SQL p50 ms | raw SQL p99 ms | p50 ratio |\n|---|---|---|---|---|---|');
  for (const test of cases) {
    const serverLatency = await timed(async (i) => {
      const reply = await get(`${server.url}/${test.url(samples[i % samples.length])}`);
      if (reply.status !== 200) throw new Error(`${test.name}: ${reply.status} ${reply.text.slice(0, 200)}`);
    });
    const rawLatency = await timed(async (i) => {
      const [sql, params] = test.sql(samples[i % samples.length]);
      await pool.query(sql, params);
    });
    const row = { serverP50: percentile(serverLatency, 50), serverP99: percentile(serverLatency, 99), rawP50: percentile(rawLatency, 50), rawP99: percentile(rawLatency, 99), requests: serverLatency.length };
    results[test.name] = row;
    console.log(`| ${test.name} | ${row.serverP50.toFixed(2)} | ${row.serverP99.toFixed(2)} | ${row.rawP50.toFixed(2)} | ${row.rawP99.toFixed(2)} | ${(row.serverP50 / row.rawP50).toFixed(1)} |`);
  }
  console.log(`\nwritten to ${writeResults('search', results)}`);
  void median;
} finally {
  await pool.end();
  await server.stop();
  agent.destroy();
  if (!reuse) {
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
    await admin.end();
  }
}
