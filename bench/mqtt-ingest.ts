/**
 * MQTT ingestion by MQTT_CONCURRENCY, with raw baselines measured in the same run.
 *
 *   npm run bench:mqtt -- [--messages 2000] [--concurrency 1,4,8] [--runs 1] [--lead 500]
 *
 * Needs Mosquitto (MQTT_URL, default mqtt://127.0.0.1:1883) and PostgreSQL (BENCH_DATABASE_URL).
 * Per concurrency and run: a fresh database, the server as a child process (PROVENANCE and
 * RISK_SCORING off, so only ingestion is measured) with 100 registered Devices, then
 * `--messages` QoS 1 messages of one BLE Heart Rate reading each, published as fast as the server
 * takes them but never more than `--lead` (default 500) ahead of what is stored: Mosquitto's
 * default `max_queued_messages` (1000) drops what a session's queue cannot hold, slow consumer or
 * not. Messages/s = messages / time from the first publish until the last reading is committed
 * (counted in the database). Baselines, same message count and concurrency:
 *   - broker: a persistent-session subscriber that acknowledges each message at once;
 *   - commit per message: one INSERT of a stored Observation's JSON per transaction over
 *     `concurrency` connections, i.e. what a commit per message costs PostgreSQL at best.
 * Prints the medians and writes bench/results/mqtt-ingest.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import pg from 'pg';
import { benchPool, REPO, startBenchServer } from './support/bench-server.ts';
import { devicesBundle, readings } from './support/ble-readings.ts';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '1,4,8' },
    runs: { type: 'string', default: '1' },
    lead: { type: 'string', default: '500' },
    'mqtt-url': { type: 'string', default: process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883' },
  },
});
const messages = Number(values.messages);
const broker = values['mqtt-url']!;
const runs = Number(values.runs);
const lead = Number(values.lead);

/** One reading per message (readings(1) is a one-element array; a message carries a bare payload). */
const messageBodies = (count: number) => Array.from({ length: count }, () => readings(1).slice(1, -1));

/** Publishes `bodies`, at most `lead` ahead of `done()` (what the consumer has finished). */
async function publishAll(topic: string, bodies: string[], done: () => Promise<number>): Promise<void> {
  const publisher = await mqtt.connectAsync(broker, { protocolVersion: 5 });
  const sent: Array<Promise<unknown>> = [];
  let finished = 0;
  for (const body of bodies) {
    while (sent.length - finished >= lead) {
      finished = await done();
      if (sent.length - finished >= lead) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    sent.push(publisher.publishAsync(topic, body, { qos: 1 }));
  }
  await Promise.all(sent);
  await publisher.endAsync();
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('not done in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function dropSession(clientId: string): Promise<void> {
  const cleaner = await mqtt.connectAsync(broker, { clientId, clean: true, protocolVersion: 5, properties: { sessionExpiryInterval: 0 } });
  await cleaner.endAsync();
}

/** The server ingesting `messages` messages; messages/s and one stored Observation's JSON for the baseline. */
async function serverRun(concurrency: number): Promise<{ perSecond: number; sample: string; databaseUrl: string; stop(): Promise<void> }> {
  const run = randomBytes(4).toString('hex');
  const topic = `vitalchain-bench-${run}/readings`;
  const clientId = `vitalchain-bench-${run}`;
  const server = await startBenchServer('postgres', { MQTT_URL: broker, MQTT_TOPICS: topic, MQTT_CLIENT_ID: clientId, MQTT_MAPPING: 'ble-gatt', MQTT_CONCURRENCY: String(concurrency) });
  const db = new pg.Client({ connectionString: server.databaseUrl });
  await db.connect();
  const stored = async () => Number((await db.query(`SELECT count(*) AS n FROM resource WHERE type = 'Observation'`)).rows[0].n);
  try {
    const response = await fetch(server.url, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json' }, body: devicesBundle() });
    if (response.status !== 200) throw new Error(`setup failed: ${response.status}`);
    // Warm-up: JIT, validation compilation, connection pool.
    await publishAll(topic, messageBodies(200), stored);
    await until(async () => (await stored()) === 200, 60_000);
    const started = performance.now();
    await publishAll(topic, messageBodies(messages), async () => (await stored()) - 200);
    await until(async () => (await stored()) === 200 + messages, 120_000);
    const perSecond = messages / ((performance.now() - started) / 1000);
    const sample = (await db.query<{ content: string }>(`SELECT content FROM resource_version LIMIT 1`)).rows[0]!.content;
    return { perSecond, sample, databaseUrl: server.databaseUrl!, stop: () => server.stop().then(() => dropSession(clientId)) };
  } catch (error) {
    await db.end();
    await server.stop();
    await dropSession(clientId);
    throw error;
  } finally {
    await db.end().catch(() => undefined);
  }
}

async function brokerBaseline(): Promise<number> {
  const run = randomBytes(4).toString('hex');
  const topic = `vitalchain-bench-${run}/raw`;
  const clientId = `vitalchain-bench-${run}-raw`;
  let received = 0;
  const subscriber = await mqtt.connectAsync(broker, { clientId, clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 60 } });
  subscriber.on('message', () => received++);
  await subscriber.subscribeAsync(topic, { qos: 1 });
  const started = performance.now();
  await publishAll(topic, messageBodies(messages), async () => received);
  await until(async () => received === messages, 60_000);
  const perSecond = messages / ((performance.now() - started) / 1000);
  await subscriber.endAsync();
  await dropSession(clientId);
  return perSecond;
}

async function commitBaseline(databaseUrl: string, concurrency: number, sample: string): Promise<number> {
  const pool = benchPool(databaseUrl, concurrency);
  await pool.query('CREATE TABLE IF NOT EXISTS raw_observation (id text PRIMARY KEY, content text NOT NULL)');
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < messages) {
        next++;
        await pool.query('INSERT INTO raw_observation (id, content) VALUES ($1, $2)', [randomBytes(8).toString('hex'), sample]);
      }
    }),
  );
  const perSecond = messages / ((performance.now() - started) / 1000);
  await pool.end();
  return perSecond;
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const rows: Array<{ concurrency: number; messagesPerSecond: number; commitPerMessageBaseline: number; brokerBaseline: number }> = [];
for (const concurrency of values.concurrency!.split(',').map(Number)) {
  const measured: number[] = [];
  const commits: number[] = [];
  const brokers: number[] = [];
  for (let r = 0; r < runs; r++) {
    const result = await serverRun(concurrency);
    try {
      measured.push(result.perSecond);
      commits.push(await commitBaseline(result.databaseUrl, concurrency, result.sample));
    } finally {
      await result.stop();
    }
    brokers.push(await brokerBaseline());
  }
  rows.push({ concurrency, messagesPerSecond: Math.round(median(measured)), commitPerMessageBaseline: Math.round(median(commits)), brokerBaseline: Math.round(median(brokers)) });
}

console.log(`\nMQTT ingestion, ${messages} one-reading QoS 1 messages, PostgreSQL, median of ${runs} run(s), ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}`);
console.log('| MQTT_CONCURRENCY | messages/s (server) | baseline: INSERT+COMMIT per message | baseline: broker, ack at once |');
console.log('|---:|---:|---:|---:|');
for (const row of rows) console.log(`| ${row.concurrency} | ${row.messagesPerSecond} | ${row.commitPerMessageBaseline} | ${row.brokerBaseline} |`);
const out = path.join(REPO, 'bench', 'results', 'mqtt-ingest.json');
await mkdir(path.dirname(out), { recursive: true });
await writeFile(out, JSON.stringify({ date: new Date().toISOString(), messages, runs, cores: os.cpus().length, loadAverage: os.loadavg(), rows }, null, 2));
console.log(`written ${path.relative(process.cwd(), out)}`);
