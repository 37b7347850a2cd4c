import { describe, expect, it } from 'vitest';
import { serverPerBackend } from '../helpers/server-per-backend.ts';
import type { Backend, TestServer } from '../helpers/test-server.ts';

const backends: Backend[] = ['pglite', 'postgres'];

describe.each(backends)('REST interactions on %s', (backend) => {
  let s: TestServer;
  const suite = serverPerBackend(backend, (server) => (s = server));

  const patient = { resourceType: 'Patient', name: [{ family: 'Chalmers', given: ['Peter', 'James'] }], gender: 'male', birthDate: '1974-12-25' };

  it('creates with a server-assigned id and answers ETag, Last-Modified and a versioned Location', async (t) => {
    if (suite.absent) return t.skip();
    const created = await s.fhir('POST', 'Patient', { ...patient, id: 'client-chosen' });
    expect(created.status).toBe(201);
    expect(created.json.id).not.toBe('client-chosen');
    expect(created.json.meta.versionId).toBe('1');
    expect(created.headers.get('etag')).toBe('W/"1"');
    expect(created.headers.get('location')).toBe(`${s.baseUrl}/Patient/${created.json.id}/_history/1`);
    expect(Date.parse(created.headers.get('last-modified')!)).toBe(Math.floor(Date.parse(created.json.meta.lastUpdated) / 1000) * 1000);
    const read = await s.fhir('GET', `Patient/${created.json.id}`);
    expect(read.status).toBe(200);
    expect(read.text).toBe(created.text);
  });

  it('keeps decimal precision and the client element order byte for byte', async (t) => {
    if (suite.absent) return t.skip();
    const body = '{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.50,"unit":"mg"},"component":[{"code":{"text":"y"},"valueQuantity":{"value":72.0}}]}';
    const created = await s.fhir('POST', 'Observation', body);
    expect(created.status).toBe(201);
    expect(created.text).toContain('"valueQuantity":{"value":1.50,"unit":"mg"}');
    expect(created.text).toContain('"value":72.0}');
    const read = await s.fhir('GET', `Observation/${created.json.id}`);
    expect(read.text).toBe(created.text);
  });

  it('updates, creates at a client id, and refuses a stale If-Match with 412', async (t) => {
    if (suite.absent) return t.skip();
    const created = await s.fhir('PUT', 'Patient/crud-1', { ...patient, id: 'crud-1' });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`${s.baseUrl}/Patient/crud-1/_history/1`);
    const updated = await s.fhir('PUT', 'Patient/crud-1', { ...patient, id: 'crud-1', gender: 'female' }, { 'If-Match': 'W/"1"' });
    expect(updated.status).toBe(200);
    expect(updated.json.meta.versionId).toBe('2');
    const stale = await s.fhir('PUT', 'Patient/crud-1', { ...patient, id: 'crud-1', gender: 'other' }, { 'If-Match': 'W/"1"' });
    expect(stale.status).toBe(412);
    expect(stale.json.resourceType).toBe('OperationOutcome');
    expect((await s.fhir('GET', 'Patient/crud-1')).json.gender).toBe('female');
    const old = await s.fhir('GET', 'Patient/crud-1/_history/1');
    expect(old.json.gender).toBe('male');
    expect(old.headers.get('etag')).toBe('W/"1"');
  });

  it('does not create a version for an update that changes nothing', async (t) => {
    if (suite.absent) return t.skip();
    await s.fhir('PUT', 'Patient/crud-same', { ...patient, id: 'crud-same' });
    const again = await s.fhir('PUT', 'Patient/crud-same', { ...patient, id: 'crud-same' });
    expect(again.status).toBe(200);
    expect(again.json.meta.versionId).toBe('1');
  });

  it('refuses an update whose body id or type does not match the URL', async (t) => {
    if (suite.absent) return t.skip();
    const wrongId = await s.fhir('PUT', 'Patient/crud-2', { ...patient, id: 'other' });
    expect(wrongId.status).toBe(400);
    expect(wrongId.json.issue[0].expression).toEqual(['Patient.id']);
    const wrongType = await s.fhir('PUT', 'Patient/crud-2', { resourceType: 'Observation', id: 'crud-2' });
    expect(wrongType.status).toBe(400);
    expect((await s.fhir('GET', 'Patient/crud-2')).status).toBe(404);
  });

  it('deletes: read answers 410 Gone, history keeps every version, delete is idempotent', async (t) => {
    if (suite.absent) return t.skip();
    await s.fhir('PUT', 'Patient/crud-3', { ...patient, id: 'crud-3' });
    const deleted = await s.fhir('DELETE', 'Patient/crud-3');
    expect(deleted.status).toBe(204);
    const gone = await s.fhir('GET', 'Patient/crud-3');
    expect(gone.status).toBe(410);
    expect(gone.json.issue[0].code).toBe('deleted');
    expect((await s.fhir('DELETE', 'Patient/crud-3')).status).toBe(204);
    expect((await s.fhir('DELETE', 'Patient/never-existed')).status).toBe(204);
    const vread = await s.fhir('GET', 'Patient/crud-3/_history/2');
    expect(vread.status).toBe(410);
    const history = await s.fhir('GET', 'Patient/crud-3/_history');
    expect(history.json.entry.map((e: any) => e.request.method)).toEqual(['DELETE', 'PUT']);
    const recreated = await s.fhir('PUT', 'Patient/crud-3', { ...patient, id: 'crud-3' });
    expect(recreated.status).toBe(201);
    expect(recreated.json.meta.versionId).toBe('3');
  });

  it('answers conditional reads with 304', async (t) => {
    if (suite.absent) return t.skip();
    const created = await s.fhir('PUT', 'Patient/crud-4', { ...patient, id: 'crud-4' });
    expect((await s.fhir('GET', 'Patient/crud-4', undefined, { 'If-None-Match': 'W/"1"' })).status).toBe(304);
    expect((await s.fhir('GET', 'Patient/crud-4', undefined, { 'If-None-Match': 'W/"7"' })).status).toBe(200);
    const lastModified = created.headers.get('last-modified')!;
    expect((await s.fhir('GET', 'Patient/crud-4', undefined, { 'If-Modified-Since': lastModified })).status).toBe(304);
    expect((await s.fhir('GET', 'Patient/crud-4', undefined, { 'If-Modified-Since': 'Mon, 01 Jan 2001 00:00:00 GMT' })).status).toBe(200);
  });

  it('honours Prefer: return=minimal and return=OperationOutcome', async (t) => {
    if (suite.absent) return t.skip();
    const minimal = await s.fhir('POST', 'Patient', patient, { Prefer: 'return=minimal' });
    expect(minimal.status).toBe(201);
    expect(minimal.text).toBe('');
    expect(minimal.headers.get('location')).toMatch(/\/Patient\/[^/]+\/_history\/1$/);
    const outcome = await s.fhir('POST', 'Patient', patient, { Prefer: 'return=OperationOutcome' });
    expect(outcome.json.resourceType).toBe('OperationOutcome');
    expect(outcome.json.issue[0].severity).toBe('information');
  });

  it('applies _summary, _elements, _pretty and _format on reads', async (t) => {
    if (suite.absent) return t.skip();
    await s.fhir('PUT', 'Patient/crud-5', { ...patient, id: 'crud-5', text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Peter</div>' }, photo: [{ contentType: 'image/png', data: 'AAAA' }] });
    const elements = await s.fhir('GET', 'Patient/crud-5?_elements=gender');
    expect(Object.keys(elements.json).sort()).toEqual(['gender', 'id', 'meta', 'resourceType']);
    expect(elements.json.meta.tag).toContainEqual({ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' });
    const summary = await s.fhir('GET', 'Patient/crud-5?_summary=true');
    expect(summary.json.name).toBeDefined();
    expect(summary.json.photo).toBeUndefined();
    expect(summary.json.text).toBeUndefined();
    const text = await s.fhir('GET', 'Patient/crud-5?_summary=text');
    expect(text.json.text).toBeDefined();
    expect(text.json.gender).toBeUndefined();
    const data = await s.fhir('GET', 'Patient/crud-5?_summary=data');
    expect(data.json.text).toBeUndefined();
    expect(data.json.photo).toBeDefined();
    const pretty = await s.fhir('GET', 'Patient/crud-5?_pretty=true');
    expect(pretty.text).toContain('\n  "resourceType": "Patient"');
    const json = await s.fhir('GET', 'Patient/crud-5?_format=json');
    expect(json.headers.get('content-type')).toBe('application/fhir+json; charset=utf-8');
    const plain = await s.fhir('GET', 'Patient/crud-5', undefined, { Accept: 'application/json' });
    expect(plain.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const xml = await s.fhir('GET', 'Patient/crud-5?_format=xml');
    expect(xml.status).toBe(406);
  });

  it('reads every R4 resource type the definitions name', async (t) => {
    if (suite.absent) return t.skip();
    const capability = (await s.fhir('GET', 'metadata')).json;
    const types = capability.rest[0].resource.map((r: any) => r.type);
    expect(types.length).toBe(146);
    expect(types).toContain('Observation');
    expect(types).toContain('MolecularSequence');
    expect((await s.fhir('POST', 'MolecularSequence', { resourceType: 'MolecularSequence', coordinateSystem: 0 })).status).toBe(201);
  });
});
