import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provenancePipeline } from '../../server/provenance/provenance-feature.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { heartRate, parameterValue } from './fhir-fixtures.ts';

/**
 * $erase finds a resource by the patient key its earlier versions went to, even after it moved to
 * another patient: the leaf rows say so. Here those leaves are in no window yet (a window closes
 * after an hour) and then, for a second patient, in built windows — the two places erasure looks
 * besides windows not built yet, without an index on the leaves' subject.
 */
describe('$erase of a resource that moved to another patient', () => {
  let server: TestServer;
  const dataDirs: string[] = [];
  const sql = <R = any>(text: string, params?: unknown[]) => server.server.services.db.query<R>(text, params).then((r) => r.rows);

  beforeAll(async () => {
    server = await startTestServer('pglite', { ANCHOR_WINDOW_LEAVES: '1000', ANCHOR_WINDOW_SECONDS: '3600', RISK_SCORING: 'off' });
    dataDirs.push(server.dataDir);
    for (const p of ['a', 'b', 'c'] as const) expect((await server.fhir('PUT', `Patient/${p}`, { resourceType: 'Patient', id: p })).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await server?.server.close();
    for (const dir of [...dataDirs, server.dataDir]) rmSync(dir, { recursive: true, force: true });
  });

  async function movedObservation(from: string, to: string): Promise<string> {
    const created = await server.fhir('POST', 'Observation', heartRate(from, 70));
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    expect((await server.fhir('PUT', `Observation/${id}`, { ...heartRate(to, 71), id })).status).toBe(200);
    return id;
  }

  async function leavesRecorded(rid: number, versions: number): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Number((await sql<{ n: string }>('SELECT count(*) AS n FROM provenance_leaf WHERE rid = $1', [rid]))[0]!.n) !== versions) {
      if (Date.now() > deadline) throw new Error(`leaves of rid ${rid} not recorded`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const ridOf = async (id: string) => Number((await sql<{ rid: string }>(`SELECT rid FROM resource WHERE type = 'Observation' AND id = $1`, [id]))[0]!.rid);

  it('finds it through leaves not in a window yet', async () => {
    const id = await movedObservation('a', 'b');
    const rid = await ridOf(id);
    await leavesRecorded(rid, 2);
    expect(await sql('SELECT 1 FROM provenance_window')).toEqual([]);
    const reply = await server.fhir('POST', 'Patient/a/$erase');
    expect(reply.status).toBe(200);
    expect((await server.fhir('GET', `Observation/${id}`)).status).toBe(404);
    expect(await sql('SELECT 1 FROM provenance_leaf WHERE rid = $1', [rid])).toEqual([]);
    expect(await sql(`SELECT 1 FROM provenance_leaf WHERE subject = 'Patient/a'`)).toEqual([]);
    expect(Number(parameterValue(reply.json, 'versionsExpunged'))).toBeGreaterThanOrEqual(3);
  });

  it('finds it through the built windows that hold the patient\'s bundles', async () => {
    const id = await movedObservation('c', 'b');
    const kept = await server.fhir('POST', 'Observation', heartRate('b', 80));
    const rid = await ridOf(id);
    await leavesRecorded(rid, 2);
    // Close the waiting leaves into windows and anchor them, as a server restarted with shorter windows would.
    await server.server.close();
    server = await startTestServer('pglite', { ANCHOR_WINDOW_LEAVES: '1000', ANCHOR_WINDOW_SECONDS: '0.2', RISK_SCORING: 'off', DATA_DIR: dataDirs[0]! });
    await provenancePipeline(server.server.services)!.settled();
    expect((await sql<{ status: string }>('SELECT DISTINCT status FROM provenance_window')).map((w) => w.status)).toEqual(['anchored']);
    expect(await sql(`SELECT 1 FROM provenance_bundle WHERE subject = 'Patient/c'`)).not.toEqual([]);
    // This process sealed those windows from the database (its sealer never held them): their
    // Provenances name the versions read back from the leaf rows.
    const windows = (await server.fhir('GET', `Provenance?target=Observation/${kept.json.id}`)).json.entry.filter((e: any) => e.resource.id.startsWith('vc-window-'));
    expect(windows).toHaveLength(1);
    expect(windows[0].resource.target).toContainEqual({ reference: `Observation/${kept.json.id}/_history/1` });
    const reply = await server.fhir('POST', 'Patient/c/$erase');
    expect(reply.status).toBe(200);
    expect((await server.fhir('GET', `Observation/${id}`)).status).toBe(404);
    expect(await sql('SELECT 1 FROM provenance_leaf WHERE rid = $1', [rid])).toEqual([]);
    expect(await sql(`SELECT 1 FROM provenance_leaf WHERE subject = 'Patient/c'`)).toEqual([]);
    // Patient b's versions, in the same windows, still verify.
    expect(parameterValue((await server.fhir('GET', `Observation/${kept.json.id}/$verify`)).json, 'verified')).toBe(true);
  }, 120_000);
});
