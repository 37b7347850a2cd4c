import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

describe('PATCH', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('pglite');
    await s.fhir('PUT', 'Patient/p', { resourceType: 'Patient', id: 'p', active: true, name: [{ family: 'Doe', given: ['Jane'] }], gender: 'female' });
  });
  afterAll(async () => s?.close());

  it('applies a JSON Patch and stores a new version made by PATCH', async () => {
    const reply = await s.fhir('PATCH', 'Patient/p', [{ op: 'replace', path: '/gender', value: 'other' }, { op: 'add', path: '/name/0/given/-', value: 'Ann' }], {
      'Content-Type': 'application/json-patch+json',
    });
    expect(reply.status).toBe(200);
    expect(reply.json.gender).toBe('other');
    expect(reply.json.name[0].given).toEqual(['Jane', 'Ann']);
    expect(reply.json.meta.versionId).toBe('2');
    const history = await s.fhir('GET', 'Patient/p/_history');
    expect(history.json.entry[0].request.method).toBe('PATCH');
  });

  it('refuses a JSON Patch that breaks the resource (422) or fails a test op (422)', async () => {
    const invalid = await s.fhir('PATCH', 'Patient/p', [{ op: 'replace', path: '/gender', value: 'robot' }], { 'Content-Type': 'application/json-patch+json' });
    expect(invalid.status).toBe(422);
    const test = await s.fhir('PATCH', 'Patient/p', [{ op: 'test', path: '/gender', value: 'male' }], { 'Content-Type': 'application/json-patch+json' });
    expect(test.status).toBe(422);
    const malformed = await s.fhir('PATCH', 'Patient/p', [{ op: 'jump', path: '/gender' }], { 'Content-Type': 'application/json-patch+json' });
    expect(malformed.status).toBe(400);
  });

  it('applies FHIRPath Patch operations: replace, add, insert, delete, move', async () => {
    const op = (parts: any[]) => ({ name: 'operation', part: parts });
    const patch = {
      resourceType: 'Parameters',
      parameter: [
        op([{ name: 'type', valueCode: 'replace' }, { name: 'path', valueString: 'Patient.active' }, { name: 'value', valueBoolean: false }]),
        op([{ name: 'type', valueCode: 'add' }, { name: 'path', valueString: 'Patient' }, { name: 'name', valueString: 'birthDate' }, { name: 'value', valueDate: '1980-02-03' }]),
        op([{ name: 'type', valueCode: 'insert' }, { name: 'path', valueString: 'Patient.name[0].given' }, { name: 'index', valueInteger: 0 }, { name: 'value', valueString: 'Zoe' }]),
        op([{ name: 'type', valueCode: 'delete' }, { name: 'path', valueString: 'Patient.gender' }]),
        op([{ name: 'type', valueCode: 'move' }, { name: 'path', valueString: 'Patient.name[0].given' }, { name: 'source', valueInteger: 0 }, { name: 'destination', valueInteger: 2 }]),
      ],
    };
    const reply = await s.fhir('PATCH', 'Patient/p', patch);
    expect(reply.status).toBe(200);
    expect(reply.json.active).toBe(false);
    expect(reply.json.birthDate).toBe('1980-02-03');
    expect(reply.json.gender).toBeUndefined();
    expect(reply.json.name[0].given).toEqual(['Jane', 'Ann', 'Zoe']);
  });

  it('honours If-Match on patch and conditional patch by search', async () => {
    const current = (await s.fhir('GET', 'Patient/p')).json.meta.versionId;
    const stale = await s.fhir('PATCH', 'Patient/p', [{ op: 'replace', path: '/active', value: true }], { 'Content-Type': 'application/json-patch+json', 'If-Match': 'W/"1"' });
    expect(stale.status).toBe(412);
    const conditional = await s.fhir('PATCH', 'Patient?family=doe', [{ op: 'replace', path: '/active', value: true }], {
      'Content-Type': 'application/json-patch+json',
      'If-Match': `W/"${current}"`,
    });
    expect(conditional.status).toBe(200);
    expect(conditional.json.active).toBe(true);
  });

  it('patches inside a transaction with a Binary JSON Patch', async () => {
    const data = Buffer.from(JSON.stringify([{ op: 'replace', path: '/active', value: false }])).toString('base64');
    const reply = await s.fhir('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data }, request: { method: 'PATCH', url: 'Patient/p' } }],
    });
    expect(reply.status).toBe(200);
    expect((await s.fhir('GET', 'Patient/p')).json.active).toBe(false);
  });
});
