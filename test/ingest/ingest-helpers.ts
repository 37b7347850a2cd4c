import path from 'node:path';
import { loadConfig } from '../../server/config.ts';
import { createLogger } from '../../server/log.ts';
import { startServer, type RunningServer } from '../../server/start.ts';
import { FIXTURES, IPF } from '../mappings/fixture-paths.ts';
import { fhirRequest, startTestServer, type FhirReply, type TestServer } from '../helpers/test-server.ts';

export { FIXTURES, MS_SAMPLES, MS_TEST_INPUT, OMH_TEST_DATA, SHIMMER, readFixture as fixture } from '../mappings/fixture-paths.ts';
export const IPF_PCD01 = path.join(IPF, 'pcd01');
export const BLE_VECTORS = path.join(FIXTURES, 'derived/ble-gatt-test-vectors.json');

export const BLE_MAC_SYSTEM = 'http://hl7.org/fhir/sid/eui-48/bluetooth';

/** A server on a given data dir (and database), so a test can stop it and start it again on the same data. */
export interface Restartable {
  url: string;
  server: RunningServer;
  fhir(method: string, pathAndQuery: string, body?: unknown, headers?: Record<string, string>): Promise<FhirReply>;
  close(): Promise<void>;
}

export async function startOn(dataDir: string, env: Record<string, string> = {}): Promise<Restartable> {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'silent', PROVENANCE: 'off', RISK_SCORING: 'off', ...env }, []);
  const server = await startServer(config, createLogger(config.LOG_LEVEL));
  const url = `http://127.0.0.1:${server.port}/fhir`;
  return { url, server, fhir: (method, p, body, headers) => fhirRequest(url, method, p, body, headers), close: () => server.close() };
}

type Fhir = Restartable['fhir'];

/** POST a raw device payload to $ingest. */
export function ingest(fhir: Fhir, body: string, query = '', contentType = 'application/json', at = '$ingest'): Promise<FhirReply> {
  return fhir('POST', `${at}${query ? `?${query}` : ''}`, body, { 'Content-Type': contentType });
}

/** A Patient and a Device (identifier system|value) linked to it. */
export async function registerDevice(fhir: Fhir, patientId: string, deviceId: string, system: string, value: string): Promise<void> {
  const patient = await fhir('PUT', `Patient/${patientId}`, { resourceType: 'Patient', id: patientId });
  const device = await fhir('PUT', `Device/${deviceId}`, { resourceType: 'Device', id: deviceId, identifier: [{ system, value }], patient: { reference: `Patient/${patientId}` } });
  if (patient.status >= 300 || device.status >= 300) throw new Error(`registration failed: ${patient.text} ${device.text}`);
}

/** A PGlite server for ingestion alone (provenance and risk scoring off) with one BLE device (MAC `AA-BB-…`) registered to a patient. */
export async function startIngestServer(patientId: string, deviceId: string, mac: string): Promise<TestServer> {
  const s = await startTestServer('pglite', { PROVENANCE: 'off', RISK_SCORING: 'off' });
  await registerDevice(s.fhir, patientId, deviceId, BLE_MAC_SYSTEM, mac);
  return s;
}

export async function count(fhir: Fhir, query: string): Promise<number> {
  const reply = await fhir('GET', `${query}${query.includes('?') ? '&' : '?'}_summary=count`);
  if (reply.status !== 200) throw new Error(`count ${query}: ${reply.status} ${reply.text}`);
  return reply.json.total;
}

/** Resources of a search (all pages of up to 1000). */
export async function search(fhir: Fhir, query: string): Promise<any[]> {
  const reply = await fhir('GET', `${query}${query.includes('?') ? '&' : '?'}_count=1000`);
  if (reply.status !== 200) throw new Error(`search ${query}: ${reply.status} ${reply.text}`);
  return (reply.json.entry ?? []).map((entry: any) => entry.resource);
}

export function entryStatuses(bundle: any): string[] {
  return (bundle.entry ?? []).filter((entry: any) => entry.fullUrl).map((entry: any) => entry.response.status);
}

/** Every issue text of an OperationOutcome, joined, for assertions on what it names. */
export function outcomeText(outcome: any): string {
  return (outcome?.issue ?? []).map((issue: any) => `${issue.diagnostics} ${(issue.location ?? []).join(' ')} ${(issue.expression ?? []).join(' ')}`).join('\n');
}

/** A BLE Heart Rate Measurement payload (mapping ble-gatt). */
export const hr = (mac: string, bpm: number, time: string) => ({ characteristic: '2A37', value: `00 ${bpm.toString(16).padStart(2, '0')}`, deviceId: mac, timestamp: time });

/** `n` heart-rate payloads one second apart, each as JSON text. */
export function readingLines(mac: string, n: number, startMs: number): string[] {
  const items: string[] = [];
  for (let i = 0; i < n; i++) items.push(JSON.stringify(hr(mac, 50 + (i % 80), new Date(startMs + i * 1000).toISOString())));
  return items;
}

/** readingLines as one JSON array body. */
export function readings(mac: string, n: number, startMs: number): string {
  return `[${readingLines(mac, n, startMs).join(',')}]`;
}

/** Observations, Devices, Patients and outbox events: what "nothing written" must leave unchanged. */
export async function totals(s: Pick<TestServer, 'server'>): Promise<string> {
  const { rows } = await s.server.services.db.query<{ type: string; n: number }>(`SELECT type, count(*)::int AS n FROM resource GROUP BY type ORDER BY type`);
  const outbox = await s.server.services.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox');
  return `${rows.map((r) => `${r.type}:${r.n}`).join(' ')} outbox:${outbox.rows[0]!.n}`;
}
