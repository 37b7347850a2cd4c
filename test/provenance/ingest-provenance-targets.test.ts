import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable } from '../helpers/postgres.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const withPostgres = await postgresAvailable();

/**
 * An ingest request's Provenance names every resource the request wrote; its `target` rows are
 * derived from the rids kept with the request's source row, not written (ingest-target-rows.ts).
 * Searched both ways on both back ends: PostgreSQL plans the derived rows itself.
 */
describe.each([
  ['PGlite', 'pglite'],
  ['PostgreSQL', 'postgres'],
] as const)('ingest Provenance targets (%s)', (_name, backend) => {
  const skip = backend === 'postgres' && !withPostgres;
  let server: TestServer;
  const sql = <R = any>(text: string, params?: unknown[]) => server.server.services.db.query<R>(text, params).then((r) => r.rows);
  const found = async (query: string, mode?: string): Promise<string[]> =>
    ((await server.fhir('GET', query)).json.entry ?? []).filter((e: any) => !mode || e.search?.mode === mode).map((e: any) => `${e.resource.resourceType}/${e.resource.id}`).sort();
  const payload = (bpms: number[]) =>
    JSON.stringify(bpms.map((bpm, i) => ({ characteristic: '2A37', value: `00 ${bpm.toString(16)}`, deviceId: 'AA:BB:CC:00:00:01', timestamp: `2024-03-02T10:00:${String(i).padStart(2, '0')}Z` })));
  /** Ingests, returns the request's Provenance. */
  const ingest = async (body: string) => {
    expect((await server.fhir('POST', '$ingest?mapping=ble-gatt', body, { 'Content-Type': 'application/json' })).status).toBe(200);
    const [latest] = await sql<{ provenance_id: string }>('SELECT provenance_id FROM provenance_ingest_source ORDER BY received_at DESC LIMIT 1');
    return `Provenance/${latest.provenance_id}`;
  };

  beforeAll(async () => {
    if (skip) return;
    server = await startTestServer(backend, { ANCHOR_WINDOW_LEAVES: '1000', ANCHOR_WINDOW_SECONDS: '60', RISK_SCORING: 'off' });
    expect((await server.fhir('PUT', 'Patient/p1', { resourceType: 'Patient', id: 'p1' })).status).toBe(201);
    const device = { resourceType: 'Device', id: 'd1', identifier: [{ system: 'http://hl7.org/fhir/sid/eui-48/bluetooth', value: 'AA-BB-CC-00-00-01' }], patient: { reference: 'Patient/p1' } };
    expect((await server.fhir('PUT', 'Device/d1', device)).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it.skipIf(skip)('are found from the target and from the Provenance, created ones by version, changed ones unversioned; none is written', async () => {
    const first = await ingest(payload(Array.from({ length: 40 }, (_, i) => 60 + i)));
    const readings = await found('Observation?device=Device/d1&_count=100');
    expect(readings).toHaveLength(40);
    expect((await server.fhir('GET', first)).json.target.map((t: any) => t.reference).sort()).toEqual(readings.map((r) => `${r}/_history/1`).sort());
    const [reading, other] = readings;
    const [, readingId] = reading.split('/');
    const [, firstId] = first.split('/');

    expect(await found(`Provenance?target=${reading}`)).toEqual([first]);
    expect(await found(`Provenance?target:Observation=${readingId}`)).toEqual([first]);
    expect(await found(`Provenance?target=${reading}/_history/1`)).toEqual([first]);
    expect(await found('Provenance?target=Observation/no-such-observation')).toEqual([]);
    expect(await found(`Observation?_id=${readingId}&_revinclude=Provenance:target`, 'include')).toEqual([first]);
    expect(await found(`Provenance?_id=${firstId}&_include=Provenance:target`, 'include')).toEqual(readings);
    expect(await found(`Observation?_has:Provenance:target:_id=${firstId}&_count=100`)).toEqual(readings);
    expect(await found(`Provenance?_id=${firstId}&target:missing=false`)).toEqual([first]);
    expect(await found(`Provenance?_id=${firstId}&target:Observation.device=Device/d1`)).toEqual([first]);

    // The deleted reading comes back as a new version of the same resource: a changed target.
    expect((await server.fhir('DELETE', reading)).status).toBe(204);
    const second = await ingest(payload(Array.from({ length: 40 }, (_, i) => 60 + i)));
    expect((await server.fhir('GET', second)).json.target).toEqual([{ reference: reading }]);
    expect(await found(`Provenance?target=${reading}`)).toEqual([first, second].sort());
    expect(await found(`Provenance?target=${other}`)).toEqual([first]);
    expect(await found(`Provenance?_id=${second.split('/')[1]}&_include=Provenance:target`, 'include')).toEqual([reading]);
    // Sorted by target, descending (highest target id first): the first names every reading, the second only the lowest.
    const sorted = (await server.fhir('GET', 'Provenance?_sort=-target')).json.entry.map((e: any) => `Provenance/${e.resource.id}`);
    expect(sorted).toEqual([first, second]);

    const written = await sql(
      `SELECT 1 FROM idx_reference i JOIN resource r ON r.rid = i.rid
        WHERE r.type = 'Provenance' AND r.id = ANY($1::text[]) AND i.pid = (SELECT pid FROM search_param WHERE resource_type = 'Provenance' AND code = 'target')`,
      [[firstId, second.split('/')[1]]],
    );
    expect(written).toEqual([]);
  });
});
