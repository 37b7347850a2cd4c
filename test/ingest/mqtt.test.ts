import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { startChildServer } from '../helpers/child-server.ts';
import { tempDir } from '../helpers/test-server.ts';
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
  for (const message of messages) await client.publishAsync(topic, message.body, { qos: 1, ...(message.properties ? { properties: { userProperties: message.properties } } : {}) });
  await client.endAsync();
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const reading = (minute: number, bpm = 60 + minute) =>
  JSON.stringify({ characteristic: '2A37', value: `00 ${bpm.toString(16).padStart(2, '0')}`, deviceId: 'AA:BB:CC:00:55:01', timestamp: new Date(Date.UTC(2025, 8, 1, 0, minute)).toISOString() });

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
