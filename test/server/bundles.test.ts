import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSynthea, syntheaFiles } from '../helpers/shared-data.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

describe('batch and transaction bundles', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('pglite');
  });
  afterAll(async () => s?.close());

  it('resolves urn:uuid fullUrls and answers a transaction-response in entry order', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:obs-1', resource: { resourceType: 'Observation', status: 'final', code: { text: 'hr' }, subject: { reference: 'urn:uuid:pat-1' } }, request: { method: 'POST', url: 'Observation' } },
        { fullUrl: 'urn:uuid:pat-1', resource: { resourceType: 'Patient', name: [{ family: 'Urn' }] }, request: { method: 'POST', url: 'Patient' } },
      ],
    };
    const reply = await s.fhir('POST', '', bundle);
    expect(reply.status).toBe(200);
    expect(reply.json.type).toBe('transaction-response');
    const [obs, pat] = reply.json.entry;
    expect(obs.response.status).toBe('201 Created');
    expect(pat.response.location).toMatch(/^Patient\/[^/]+\/_history\/1$/);
    const patientId = pat.response.location.split('/')[1];
    const stored = await s.fhir('GET', obs.response.location.replace(/\/_history\/1$/, ''));
    expect(stored.json.subject.reference).toBe(`Patient/${patientId}`);
  });

  it('is atomic: one failing entry rolls back every entry and names the entry', async () => {
    const before = (await s.fhir('GET', 'Patient?name=atomic&_summary=count')).json.total;
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { resourceType: 'Patient', name: [{ family: 'Atomic' }] }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Patient', gender: 'not-a-gender' }, request: { method: 'POST', url: 'Patient' } },
      ],
    };
    const reply = await s.fhir('POST', '', bundle);
    expect(reply.status).toBe(422);
    expect(reply.json.issue[0].diagnostics).toContain('Bundle.entry[1]');
    expect(reply.json.issue[0].expression[0]).toMatch(/^Bundle\.entry\[1\]\.resource/);
    expect((await s.fhir('GET', 'Patient?name=atomic&_summary=count')).json.total).toBe(before);
  });

  it('processes DELETE, POST, PUT, GET in that order and GET sees the new state', async () => {
    await s.fhir('PUT', 'Patient/order-del', { resourceType: 'Patient', id: 'order-del' });
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { request: { method: 'GET', url: 'Patient?name=ordered' } },
        { resource: { resourceType: 'Patient', id: 'order-put', name: [{ family: 'Ordered' }] }, request: { method: 'PUT', url: 'Patient/order-put' } },
        { request: { method: 'DELETE', url: 'Patient/order-del' } },
      ],
    };
    const reply = await s.fhir('POST', '', bundle);
    expect(reply.status).toBe(200);
    expect(reply.json.entry[0].resource.type).toBe('searchset');
    expect(reply.json.entry[0].resource.entry.map((e: any) => e.resource.id)).toEqual(['order-put']);
    expect(reply.json.entry[2].response.status).toBe('204 No Content');
    expect((await s.fhir('GET', 'Patient/order-del')).status).toBe(410);
  });

  it('refuses two entries writing the same resource', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { resourceType: 'Patient', id: 'dup' }, request: { method: 'PUT', url: 'Patient/dup' } },
        { request: { method: 'DELETE', url: 'Patient/dup' } },
      ],
    };
    const reply = await s.fhir('POST', '', bundle);
    expect(reply.status).toBe(400);
    expect(reply.json.issue[0].code).toBe('duplicate');
  });

  it('runs batch entries independently, each with its own status and outcome', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { resource: { resourceType: 'Patient', name: [{ family: 'Batch' }] }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Patient', birthDate: 'yesterday' }, request: { method: 'POST', url: 'Patient' } },
        { request: { method: 'GET', url: 'Patient/does-not-exist' } },
        { request: { method: 'PUT', url: 'Unicorn/1' }, resource: { resourceType: 'Unicorn' } },
      ],
    };
    const reply = await s.fhir('POST', '', bundle);
    expect(reply.status).toBe(200);
    expect(reply.json.type).toBe('batch-response');
    expect(reply.json.entry.map((e: any) => e.response.status)).toEqual(['201 Created', '400 Bad Request', '404 Not Found', '404 Not Found']);
    expect(reply.json.entry[1].response.outcome.issue[0].expression[0]).toMatch(/Bundle\.entry\[1\]\.resource\.birthDate/);
  });

  it('conditional creates in a batch create once, then match', async () => {
    const entry = { resource: { resourceType: 'Organization', identifier: [{ system: 'urn:org', value: 'o1' }], name: 'Org' }, request: { method: 'POST', url: 'Organization', ifNoneExist: 'identifier=urn:org|o1' } };
    const first = await s.fhir('POST', '', { resourceType: 'Bundle', type: 'batch', entry: [entry] });
    const second = await s.fhir('POST', '', { resourceType: 'Bundle', type: 'batch', entry: [entry] });
    expect(first.json.entry[0].response.status).toBe('201 Created');
    expect(second.json.entry[0].response.status).toBe('200 OK');
    expect((await s.fhir('GET', 'Organization?identifier=urn:org|o1&_summary=count')).json.total).toBe(1);
  });

  it('loads real Synthea bundles: conditional references resolve to the loaded organizations and practitioners', async () => {
    const hospital = syntheaFiles().find((f) => f.startsWith('0-hospital'))!;
    const practitioners = syntheaFiles().find((f) => f.startsWith('0-practitioner'))!;
    for (const file of [hospital, practitioners]) {
      const reply = await s.fhir('POST', '', readSynthea(file));
      expect(reply.status).toBe(200);
      expect(reply.json.entry.every((e: any) => e.response.status.startsWith('20'))).toBe(true);
    }
    const patientFile = syntheaFiles().find((f) => !f.startsWith('0-'))!;
    const text = readSynthea(patientFile);
    const source = JSON.parse(text);
    const reply = await s.fhir('POST', '', text);
    expect(reply.status).toBe(200);
    expect(reply.json.entry).toHaveLength(source.entry.length);
    const encounterIndex = source.entry.findIndex((e: any) => e.resource.resourceType === 'Encounter');
    const encounter = await s.fhir('GET', reply.json.entry[encounterIndex].response.location);
    expect(encounter.json.serviceProvider.reference).toMatch(/^Organization\/[^?]+$/);
    expect((await s.fhir('GET', encounter.json.serviceProvider.reference)).status).toBe(200);
    const observations = source.entry.filter((e: any) => e.resource.resourceType === 'Observation').length;
    const patientId = reply.json.entry[source.entry.findIndex((e: any) => e.resource.resourceType === 'Patient')].response.location.split('/')[1];
    expect((await s.fhir('GET', `Observation?subject=Patient/${patientId}&_summary=count`)).json.total).toBe(observations);
  });

  it('answers a conditional reference that matches nothing with 412 and writes nothing', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, serviceProvider: { reference: 'Organization?identifier=urn:none|x' } }, request: { method: 'POST', url: 'Encounter' } }],
    };
    const reply = await s.fhir('POST', '', bundle);
    expect(reply.status).toBe(412);
    expect(reply.json.issue[0].diagnostics).toContain('matches no Organization');
  });
});
