/**
 * Risk scoring inside the server, with scoring off as the baseline in the same run.
 *
 *   npx tsx bench/risk-ingest.ts [--runs 3] [--patients 300] [--times 4] [--clients 4]
 *                                [--backends pglite,postgres] [--calls 300] [--history 100]
 *
 * 1. Device ingest, scoring on vs off: `--patients` patients each send a full NEWS2 vital-sign set
 *    (7 Observations, one transaction bundle) at `--times` successive hours, `--clients` requests
 *    in flight. Reported: ingest throughput (Observations/s until the last response) and, with
 *    scoring on, end-to-end throughput until the risk consumer has drained (every score written).
 *    The ratio on/off of each is the cost of scoring. The server runs in this process.
 * 2. Scoring cost per new Observation in the server, including the database: (a) the risk
 *    consumer's handler replayed over the events of a scoring-off ingest in full batches (2,000
 *    events; catch-up after downtime), total time / Observations; (b) `--history` patients with 24
 *    hourly vital sets stored (168 Observations each), a new heart rate arrives and the handler
 *    runs on that single event — index lookups, record load, NEWS2 + baseline, one write
 *    transaction: p50 / p99 over `--calls` readings.
 * Medians of `--runs` runs. Prints a table and writes bench/results/risk-ingest.json.
 */
import { loadConfig } from '../server/config.ts';
import { createLogger } from '../server/log.ts';
import { ModelDevices } from '../server/risk/model-devices.ts';
import { loadModelRegistry } from '../server/risk/model-registry.ts';
import { ModelRuntime } from '../server/risk/model-runtime.ts';
import { riskConsumer } from '../server/risk/risk-consumer.ts';
import { RISK_CONSUMER } from '../server/risk/risk-feature.ts';
import { RiskScorer } from '../server/risk/risk-scorer.ts';
import { startServer, type RunningServer } from '../server/start.ts';
import { settle } from '../test/risk/consumer-settle.ts';
import { heartRate, putBundle, vitalSet, type VitalValues } from '../test/risk/vital-signs.ts';
import { argument, freshDatabase, median, percentile, writeResults } from './support/bench-server.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seededIntegers } from './risk-random.ts';

type Backend = 'pglite' | 'postgres';
const runs = Number(argument('runs', '3'));
const patients = Number(argument('patients', '300'));
const times = Number(argument('times', '4'));
const clients = Number(argument('clients', '4'));
const backends = argument('backends', 'pglite,postgres').split(',') as Backend[];
const calls = Number(argument('calls', '300'));
const historyPatients = Number(argument('history', '100'));

const START = Date.parse('2024-06-01T00:00:00Z');
const HOUR = 3_600_000;

const rand = seededIntegers();
const randomVitals = (): VitalValues => ({
  rr: rand(10, 26),
  spo2: rand(88, 100),
  o2: rand(0, 3) === 0 ? 2 : 0,
  sbp: rand(85, 180),
  hr: rand(45, 140),
  acvpu: rand(0, 9) === 0 ? 'LA6560-2' : 'LA9340-6',
  temp: rand(350, 395) / 10,
});

interface Started {
  server: RunningServer;
  url: string;
  cleanup(): Promise<void>;
}

async function start(backend: Backend, scoring: 'on' | 'off'): Promise<Started> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vc-bench-risk-'));
  const database = backend === 'postgres' ? await freshDatabase('vc_bench_risk') : undefined;
  const config = loadConfig(
    { PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'silent', PROVENANCE: 'off', RISK_SCORING: scoring, ...(database ? { DATABASE_URL: database.url } : {}) },
    [],
  );
  const server = await startServer(config, createLogger('silent'));
  return {
    server,
    url: `http://127.0.0.1:${server.port}/fhir`,
    cleanup: async () => {
      await server.close();
      await database?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function post(url: string, body: unknown): Promise<void> {
  const response = await fetch(url, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/fhir+json', Prefer: 'return=minimal' } });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`POST failed: ${response.status} ${text.slice(0, 300)}`);
}

async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

async function createPatients(url: string, count: number, prefix: string): Promise<void> {
  const all = Array.from({ length: count }, (_, p) => ({ resourceType: 'Patient', id: `${prefix}${p}`, gender: p % 2 ? 'male' : 'female' }));
  for (let i = 0; i < all.length; i += 200) await post(url, putBundle(all.slice(i, i + 200)));
}

/** One bundle per patient per hour, hour-major (as devices report). */
function ingestBundles(): unknown[] {
  const bundles: unknown[] = [];
  for (let t = 0; t < times; t++) {
    const time = new Date(START + t * HOUR).toISOString();
    for (let p = 0; p < patients; p++) bundles.push(putBundle(vitalSet(`p${p}`, `p${p}-h${t}`, time, randomVitals())));
  }
  return bundles;
}

interface IngestRun {
  ingestPerSecond: number;
  drainedPerSecond: number;
  riskAssessments: number;
  /** Scoring off only: the risk handler run afterwards over the stored events in batches of 2,000, µs per ingested Observation. */
  replayMicrosecondsPerObservation?: number;
}

/** Runs the risk consumer's handler over everything in the outbox, `batch` events at a time; µs per Observation. */
async function replay(s: Started, batch: number, observations: number): Promise<number> {
  const registry = loadModelRegistry({ extraDirs: [] });
  const runtime = await ModelRuntime.create(registry);
  const scorer = new RiskScorer(runtime);
  try {
    const handle = riskConsumer({ services: s.server.services, registry, scorer, devices: new ModelDevices() });
    const head = await s.server.outbox.headSeq();
    const t0 = performance.now();
    for (let after = 0; after < head; ) {
      const events = await s.server.outbox.read(after, batch);
      if (events.length === 0 || events[0].seq > head) break;
      await handle(events.filter((e) => e.seq <= head));
      after = events[events.length - 1].seq;
    }
    return ((performance.now() - t0) * 1000) / observations;
  } finally {
    await scorer.close();
    await runtime.close();
  }
}

async function ingest(backend: Backend, scoring: 'on' | 'off'): Promise<IngestRun> {
  const s = await start(backend, scoring);
  try {
    await createPatients(s.url, patients, 'p');
    const bundles = ingestBundles();
    const observations = bundles.length * 7;
    const t0 = performance.now();
    await pool(bundles, clients, (b) => post(s.url, b));
    const ingested = performance.now();
    if (scoring === 'on') await settle(s.server.outbox, RISK_CONSUMER, 600_000);
    const drained = performance.now();
    const { rows } = await s.server.services.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM resource WHERE type = 'RiskAssessment'`);
    const run: IngestRun = { ingestPerSecond: observations / ((ingested - t0) / 1000), drainedPerSecond: observations / ((drained - t0) / 1000), riskAssessments: rows[0].n };
    // Catch-up after downtime: the consumer's full batches over the events ingested with scoring off.
    if (scoring === 'off') run.replayMicrosecondsPerObservation = await replay(s, 2000, observations);
    return run;
  } finally {
    await s.cleanup();
  }
}

/** Handler latency for one new reading of a patient with a 24 h history. */
async function perObservation(backend: Backend): Promise<{ p50: number; p99: number; scoresPerCall: number }> {
  const s = await start(backend, 'off');
  const registry = loadModelRegistry({ extraDirs: [] });
  const runtime = await ModelRuntime.create(registry);
  try {
    await createPatients(s.url, historyPatients, 'h');
    const bundles: unknown[] = [];
    for (let h = 0; h < 24; h++) {
      const time = new Date(START + h * HOUR).toISOString();
      for (let p = 0; p < historyPatients; p++) bundles.push(putBundle(vitalSet(`h${p}`, `h${p}-h${h}`, time, randomVitals())));
    }
    await pool(bundles, clients, (b) => post(s.url, b));
    const handle = riskConsumer({ services: s.server.services, registry, scorer: new RiskScorer(runtime), devices: new ModelDevices() });
    const samples: number[] = [];
    let scores = 0;
    for (let i = -20; i < calls; i++) {
      const p = ((i % historyPatients) + historyPatients) % historyPatients;
      const id = `h${p}-new-${i + 20}`;
      const [written] = await s.server.services.repository.write([
        { action: 'update', method: 'PUT', type: 'Observation', id, resource: heartRate(id, `h${p}`, new Date(START + 23 * HOUR + (i + 21) * 1000).toISOString(), rand(45, 140)) },
      ]);
      const event = { seq: 0, commitId: 0, rid: written.rid, type: 'Observation', id, version: written.version, action: 'create' as const, lastUpdated: written.lastUpdated };
      const t0 = performance.now();
      const outcome = await handle([event]);
      if (i >= 0) {
        samples.push((performance.now() - t0) * 1000);
        scores += outcome.scores;
      }
    }
    return { p50: percentile(samples, 50), p99: percentile(samples, 99), scoresPerCall: scores / calls };
  } finally {
    await runtime.close();
    await s.cleanup();
  }
}

const results: Record<string, any> = {};
for (const backend of backends) {
  const samples = { on: [] as Array<Awaited<ReturnType<typeof ingest>>>, off: [] as Array<Awaited<ReturnType<typeof ingest>>>, single: [] as Array<Awaited<ReturnType<typeof perObservation>>> };
  for (let run = 0; run < runs; run++) {
    // Alternate the order so drift on a shared machine does not favour one mode.
    for (const mode of run % 2 ? (['on', 'off'] as const) : (['off', 'on'] as const)) samples[mode].push(await ingest(backend, mode));
    samples.single.push(await perObservation(backend));
  }
  const m = (xs: number[]) => +median(xs).toFixed(1);
  const off = m(samples.off.map((r) => r.ingestPerSecond));
  const onIngest = m(samples.on.map((r) => r.ingestPerSecond));
  const onDrained = m(samples.on.map((r) => r.drainedPerSecond));
  results[backend] = {
    ingest: {
      observations: patients * times * 7,
      scoringOffObservationsPerSecond: off,
      scoringOnObservationsPerSecond: onIngest,
      scoringOnDrainedObservationsPerSecond: onDrained,
      ratioIngestOnToOff: +(onIngest / off).toFixed(3),
      ratioDrainedOnToOff: +(onDrained / off).toFixed(3),
      riskAssessmentsWritten: samples.on.map((r) => r.riskAssessments),
      target: 'on within 20 % of off (ratio ≥ 0.8)',
    },
    perObservationMicroseconds: {
      batchedCatchUp: m(samples.off.map((r) => r.replayMicrosecondsPerObservation!)),
      p50: m(samples.single.map((r) => r.p50)),
      p99: m(samples.single.map((r) => r.p99)),
      scoresPerCall: samples.single[0]?.scoresPerCall,
      target: 'p99 ≤ 2,000 µs',
    },
    samples,
  };
}

const row = (label: string, value: string) => process.stdout.write(`${label.padEnd(66)} ${value}\n`);
process.stdout.write(`\nrisk scoring in the server — ${patients} patients × ${times} hours × 7 Observations, ${clients} clients, median of ${runs} runs, load average ${os.loadavg()[0].toFixed(2)}\n\n`);
for (const backend of backends) {
  const r = results[backend];
  row(`[${backend}] ingest, scoring off (Observations/s)`, r.ingest.scoringOffObservationsPerSecond.toLocaleString('en'));
  row(`[${backend}] ingest, scoring on (Observations/s)`, `${r.ingest.scoringOnObservationsPerSecond.toLocaleString('en')}   (ratio ${r.ingest.ratioIngestOnToOff})`);
  row(`[${backend}]   until every score is written (Observations/s)`, `${r.ingest.scoringOnDrainedObservationsPerSecond.toLocaleString('en')}   (ratio ${r.ingest.ratioDrainedOnToOff}; target ≥ 0.8)`);
  row(`[${backend}] scoring per Observation in 2,000-event batches, incl. DB (µs)`, `${r.perObservationMicroseconds.batchedCatchUp}`);
  row(`[${backend}] new Observation → consumer batch of one, incl. DB (µs p50 / p99)`, `${r.perObservationMicroseconds.p50} / ${r.perObservationMicroseconds.p99}   (target p99 ≤ 2,000)`);
}
process.stdout.write(`\nwrote ${writeResults('risk-ingest', results)}\n`);
