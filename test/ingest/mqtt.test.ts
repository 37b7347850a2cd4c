import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { startChildServer } from '../helpers/child-server.ts';
import { createTestDatabase, postgresAvailable } from '../helpers/postgres.ts';
import { fhirRequest, tempDir } from '../helpers/test-server.ts';
import { BLE_MAC_SYSTEM, count, registerDevice, startOn, type Restartable } from './ingest-helpers.ts';

const BROKER = process.env.TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

async function brokerAvailable(): Promise<boolean> {
  const client = mqtt.connect(BROKER, { connectTimeout: 2000, reconnectPeriod: 0 });
  const ok = await new Promise<boolean>((resolve) => {
    client.once('connect', () => resolve(true));
    client.once('error', () => resolve(false));
    setTimeout(() => resolve(false), 2500);
  });
  await client.endAsync(true);
  if (!ok) process.stderr.write(`\n[tests] Mosquitto is not reachable at ${BROKER}: MQTT ingestion tests are skipped.\n`);
  return ok;
}

async function publish(topic: string, messages: Array<{ body: string; properties?: Record<string, string> }>): Promise<void> {
  const client = await mqtt.connectAsync(BROKER, { protocolVersion: 5 });
  // Sent in this order; the broker's PUBACKs are awaited together.
  await Promise.all(messages.map((message) => client.publishAsync(topic, message.body, { qos: 1, ...(message.properties ? { properties: { userProperties: message.properties } } : {}) })));
  await client.endAsync();
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 20_000, pollMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

const reading = (minute: number, bpm = 60 + minute, device = 'AA:BB:CC:00:55:01') =>
  JSON.stringify({ characteristic: '2A37', value: `00 ${bpm.toString(16).padStart(2, '0')}`, deviceId: device, timestamp: new Date(Date.UTC(2025, 8, 1, 0, minute)).toISOString() });

/** Messages the broker still holds for a session: the probe takes over the session and counts what it is sent. */
async function undelivered(clientId: string): Promise<number> {
  let received = 0;
  const probe = mqtt.connect(BROKER, { clientId, clean: false, protocolVersion: 5, manualConnect: true });
  probe.handleMessage = (_packet, callback) => {
    received++;
    callback();
  };
  const connected = new Promise((resolve) => probe.once('connect', resolve));
  probe.connect();
  await connected;
  await new Promise((resolve) => setTimeout(resolve, 500));
  await probe.endAsync();
  return received;
}

describe('MQTT ingestion (real Mosquitto)', async () => {
  const available = await brokerAvailable();
  const run = randomBytes(4).toString('hex');
  const topic = `vitalchain-test-${run}/ingest`;
  const clientId = `vitalchain-test-${run}`;
  const dataDir = tempDir('ingest-mqtt');
  let s: Restartable | undefined;

  afterAll(async () => {
    await s?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (available) {
      // Drop the persistent session this test left on the broker.
      const cleaner = await mqtt.connectAsync(BROKER, { clientId, clean: true, protocolVersion: 5, properties: { sessionExpiryInterval: 0 } });
      await cleaner.endAsync();
    }
  });

  it.skipIf(!available)('ingests each message once, acknowledges after commit, and gets messages published while the server was down after its restart', async () => {
    const env = { MQTT_URL: BROKER, MQTT_TOPICS: `vitalchain-test-${run}/#`, MQTT_CLIENT_ID: clientId, MQTT_MAPPING: 'ble-gatt' };
    s = await startOn(dataDir, env);
    await registerDevice(s.fhir, 'mq-p', 'mq-d', BLE_MAC_SYSTEM, 'AA-BB-CC-00-55-01');
    const observations = () => count(s!.fhir, 'Observation?device=Device/mq-d');

    await publish(topic, [0, 1, 2].map((minute) => ({ body: reading(minute) })));
    await eventually(async () => (await observations()) === 3);

    await s.close();
    s = undefined;
    // Server down: five new readings, one repeat of an already stored reading, and one malformed message.
    await publish(topic, [
      ...[3, 4, 5, 6, 7].map((minute) => ({ body: reading(minute) })),
      { body: reading(1) },
      { body: '{"characteristic":"2A37","value":"zz","deviceId":"AA:BB:CC:00:55:01"}' },
      { body: reading(8), properties: { mapping: 'ble-gatt' } },
    ]);

    s = await startOn(dataDir, env);
    await eventually(async () => (await observations()) === 9);
    await eventually(async () => (await s!.server.services.db.query('SELECT 1 FROM ingest_rejected')).rows.length === 1);
    const kept = await s.server.services.db.query<{ topic: string; outcome: string }>('SELECT topic, outcome FROM ingest_rejected');
    expect(kept.rows).toHaveLength(1);
    expect(kept.rows[0]!.topic).toBe(topic);
    expect(JSON.parse(kept.rows[0]!.outcome).issue[0].diagnostics).toMatch(/payload\[0\] \$\.value/);
    // Nothing more arrives: every message was acknowledged exactly once after being handled.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await observations()).toBe(9);
    const bpms = (await s.fhir('GET', 'Observation?device=Device/mq-d&_count=100')).json.entry.map((e: any) => e.resource.valueQuantity.value).sort((a: number, b: number) => a - b);
    expect(bpms).toEqual([60, 61, 62, 63, 64, 65, 66, 67, 68]);
  }, 90_000);

  it.skipIf(!available)('loses nothing when the server is killed (kill -9) while a large message is in flight', async () => {
    await s?.close();
    s = undefined;
    const env = { MQTT_URL: BROKER, MQTT_TOPICS: `vitalchain-test-${run}/#`, MQTT_CLIENT_ID: clientId, MQTT_MAPPING: 'ble-gatt', PROVENANCE: 'off', RISK_SCORING: 'off' };
    const child = await startChildServer({ DATA_DIR: dataDir, ...env });
    const items: string[] = [];
    for (let i = 0; i < 5000; i++) items.push(JSON.stringify({ characteristic: '2A37', value: '00 50', deviceId: 'AA:BB:CC:00:55:01', timestamp: new Date(Date.UTC(2025, 9, 1) + i * 1000).toISOString() }));
    await publish(topic, [{ body: `[${items.join(',')}]` }]);
    await new Promise((resolve) => setTimeout(resolve, 400));
    await child.kill('SIGKILL');
    s = await startOn(dataDir, env);
    await eventually(async () => (await count(s!.fhir, 'Observation?device=Device/mq-d&date=ge2025-10-01')) === 5000, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await count(s.fhir, 'Observation?device=Device/mq-d&date=ge2025-10-01')).toBe(5000);
  }, 120_000);
});

describe('MQTT ingestion, several messages at once (real Mosquitto)', async () => {
  const available = await brokerAvailable();
  // Concurrent transactions are what this is about: on PostgreSQL when it answers, else on PGlite.
  const onPostgres = available && (await postgresAvailable());
  const run = randomBytes(4).toString('hex');
  const cleanup: Array<() => Promise<unknown>> = [];

  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  });

  /** A fresh database and a session of our own for one test; the persistent session is dropped after. */
  async function setup(name: string) {
    const clientId = `vitalchain-test-${run}-${name}`;
    const dataDir = tempDir(`ingest-mqtt-${name}`);
    const database = onPostgres ? await createTestDatabase() : undefined;
    cleanup.push(async () => {
      const cleaner = await mqtt.connectAsync(BROKER, { clientId, clean: true, protocolVersion: 5, properties: { sessionExpiryInterval: 0 } });
      await cleaner.endAsync();
      await database?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });
    const topic = `vitalchain-test-${run}/${name}`;
    const env = { MQTT_URL: BROKER, MQTT_TOPICS: `${topic}/#`, MQTT_CLIENT_ID: clientId, MQTT_MAPPING: 'ble-gatt', MQTT_CONCURRENCY: '8', ...(database ? { DATABASE_URL: database.url } : {}) };
    return { clientId, dataDir, env, topic: `${topic}/readings` };
  }

  /** `readings` distinct readings of one device (one per message) with a refused message after every 100th. */
  function stream(device: string, readings: number) {
    const messages: Array<{ body: string }> = [];
    const refused: string[] = [];
    for (let i = 0; i < readings; i++) {
      messages.push({ body: reading(i, 40 + (i % 150), device) });
      if (i % 100 === 99) {
        refused.push(JSON.stringify({ characteristic: '2A37', value: 'zz', deviceId: device, timestamp: new Date(Date.UTC(2025, 8, 2, 0, i)).toISOString() }));
        messages.push({ body: refused.at(-1)! });
      }
    }
    return { messages, refused };
  }

  async function storedOnce(s: Restartable, readings: number, refused: string[]): Promise<void> {
    const db = s.server.services.db;
    await eventually(async () => (await db.query(`SELECT 1 FROM resource WHERE type = 'Observation'`)).rows.length === readings);
    await eventually(async () => (await db.query('SELECT 1 FROM ingest_rejected')).rows.length >= refused.length);
    const versions = await db.query<{ resources: number; versions: number; latest: number }>(
      `SELECT count(DISTINCT r.rid)::int AS resources, count(*)::int AS versions, max(r.version)::int AS latest
         FROM resource r JOIN resource_version v ON v.rid = r.rid WHERE r.type = 'Observation'`,
    );
    expect(versions.rows[0]).toEqual({ resources: readings, versions: readings, latest: 1 });
    const kept = await db.query<{ payload: Buffer }>('SELECT payload FROM ingest_rejected ORDER BY seq');
    expect(kept.rows.map((row) => Buffer.from(row.payload).toString('utf8')).sort()).toEqual([...refused].sort());
  }

  /** Started again after a stop or a kill: every reading stored once, and nothing left unacknowledged once it stops. */
  async function restartAndCheck(dataDir: string, env: Record<string, string>, clientId: string, readings: number, refused: string[]): Promise<void> {
    const s = await startOn(dataDir, env);
    try {
      await storedOnce(s, readings, refused);
    } finally {
      await s.close();
    }
    expect(await undelivered(clientId)).toBe(0);
  }

  it.skipIf(!available)('stores each of 300 messages\' readings once with 8 in flight, keeps refused ones, and acknowledges every message', async () => {
    const { clientId, dataDir, env, topic } = await setup('many');
    const s = await startOn(dataDir, env);
    try {
      await registerDevice(s.fhir, 'mqm-p', 'mqm-d', BLE_MAC_SYSTEM, 'AA-BB-CC-00-55-02');
      const { messages, refused } = stream('AA:BB:CC:00:55:02', 300);
      await publish(topic, messages);
      await storedOnce(s, 300, refused);
      expect(await count(s.fhir, 'Observation?device=Device/mqm-d')).toBe(300);
    } finally {
      await s.close();
    }
    expect(await undelivered(clientId)).toBe(0);
  }, 60_000);

  it.skipIf(!available)('stopping gracefully mid-stream lets the ingests in flight finish; the rest arrive after the restart, each stored once', async () => {
    const { clientId, dataDir, env, topic } = await setup('stop');
    const s = await startOn(dataDir, env);
    const { messages, refused } = stream('AA:BB:CC:00:55:04', 300);
    let stored = 0;
    try {
      await registerDevice(s.fhir, 'mqs-p', 'mqs-d', BLE_MAC_SYSTEM, 'AA-BB-CC-00-55-04');
      // Watched through commit events: on PGlite a search would queue behind the ingests.
      s.server.services.repository.events.on('committed', (writes: Array<{ type: string }>) => (stored += writes.filter((write) => write.type === 'Observation').length));
      const publishing = publish(topic, messages);
      await eventually(async () => stored > 0, 20_000, 5);
      await s.close();
      await publishing;
    } finally {
      await s.close();
    }
    expect(stored).toBeLessThan(300);
    await restartAndCheck(dataDir, env, clientId, 300, refused);
  }, 60_000);

  it.skipIf(!available)('stores every reading once when the server is killed (kill -9) with messages in flight and started again', async () => {
    const { clientId, dataDir, env, topic } = await setup('kill');
    // Debug logs say when a message was ingested (a search would queue behind the ingests on PGlite).
    const child = await startChildServer({ DATA_DIR: dataDir, ...env, PROVENANCE: 'off', RISK_SCORING: 'off', LOG_LEVEL: 'debug' });
    const ingested = () => child.output().split('MQTT message ingested').length - 1;
    const fhir: Restartable['fhir'] = (method, p, body, headers) => fhirRequest(child.url, method, p, body, headers);
    await registerDevice(fhir, 'mqk-p', 'mqk-d', BLE_MAC_SYSTEM, 'AA-BB-CC-00-55-03');
    const { messages, refused } = stream('AA:BB:CC:00:55:03', 300);
    const publishing = publish(topic, messages);
    // Killed as soon as the first readings are committed: the rest are in flight, unread or not yet published.
    await eventually(async () => ingested() > 0, 20_000, 5);
    await child.kill('SIGKILL');
    expect(ingested()).toBeLessThan(300);
    await publishing;
    await restartAndCheck(dataDir, env, clientId, 300, refused);
  }, 60_000);
});
