import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

describe('history at instance, type and system level', () => {
  let s: TestServer;
  let between = '';
  beforeAll(async () => {
    s = await startTestServer('pglite');
    await s.fhir('PUT', 'Patient/h1', { resourceType: 'Patient', id: 'h1', gender: 'male' });
    await s.fhir('PUT', 'Patient/h1', { resourceType: 'Patient', id: 'h1', gender: 'female' });
    await new Promise((r) => setTimeout(r, 20));
    between = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    await s.fhir('PUT', 'Observation/o1', { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' } });
    await s.fhir('DELETE', 'Patient/h1');
  });
  afterAll(async () => s?.close());

  it('instance history lists every version newest first, including the deletion', async () => {
    const reply = await s.fhir('GET', 'Patient/h1/_history');
    expect(reply.json.type).toBe('history');
    expect(reply.json.entry.map((e: any) => e.response.etag)).toEqual(['W/"3"', 'W/"2"', 'W/"1"']);
    expect(reply.json.entry[0].request).toEqual({ method: 'DELETE', url: 'Patient/h1' });
    expect(reply.json.entry[0].resource).toBeUndefined();
    expect(reply.json.entry[1].resource.gender).toBe('female');
  });

  it('type and system history, _since and _count with stable next links', async () => {
    const type = await s.fhir('GET', 'Patient/_history');
    expect(type.json.entry).toHaveLength(3);
    const system = await s.fhir('GET', '_history?_total=accurate');
    expect(system.json.total).toBe(4);
    expect(system.json.entry.map((e: any) => e.fullUrl.split('/fhir/')[1])).toEqual(['Patient/h1', 'Observation/o1', 'Patient/h1', 'Patient/h1']);
    const since = await s.fhir('GET', `_history?_since=${encodeURIComponent(between)}`);
    expect(since.json.entry.map((e: any) => e.response.etag)).toEqual(['W/"3"', 'W/"1"']);
    const page1 = await s.fhir('GET', '_history?_count=3');
    expect(page1.json.entry).toHaveLength(3);
    await s.fhir('PUT', 'Observation/o2', { resourceType: 'Observation', id: 'o2', status: 'final', code: { text: 'y' } });
    const next = page1.json.link.find((l: any) => l.relation === 'next').url;
    const page2 = await s.fhir('GET', next.split('/fhir/')[1]);
    expect(page2.json.entry.map((e: any) => e.response.etag)).toEqual(['W/"1"']);
  });

  it('_at returns the versions current at that time', async () => {
    const reply = await s.fhir('GET', `Patient/h1/_history?_at=${encodeURIComponent(between)}`);
    expect(reply.json.entry.map((e: any) => e.response.etag)).toEqual(['W/"2"']);
  });

  it('refuses bad history parameters', async () => {
    expect((await s.fhir('GET', '_history?_since=yesterday')).status).toBe(400);
    expect((await s.fhir('GET', '_history?_count=-1')).status).toBe(400);
    expect((await s.fhir('GET', 'Patient/nope/_history')).status).toBe(404);
  });
});
