import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

describe('conditional interactions', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('pglite', { CONDITIONAL_DELETE: 'single' });
  });
  afterAll(async () => s?.close());
  const pat = (value: string, extra: Record<string, unknown> = {}) => ({ resourceType: 'Patient', identifier: [{ system: 'urn:cond', value }], ...extra });

  it('If-None-Exist creates once, then returns the existing resource', async () => {
    const first = await s.fhir('POST', 'Patient', pat('a'), { 'If-None-Exist': 'identifier=urn:cond|a' });
    const second = await s.fhir('POST', 'Patient', pat('a'), { 'If-None-Exist': 'identifier=urn:cond|a' });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.json.id).toBe(first.json.id);
  });

  it('If-None-Exist with several matches answers 412', async () => {
    await s.fhir('POST', 'Patient', pat('twice'));
    await s.fhir('POST', 'Patient', pat('twice'));
    const reply = await s.fhir('POST', 'Patient', pat('twice'), { 'If-None-Exist': 'identifier=urn:cond|twice' });
    expect(reply.status).toBe(412);
    expect(reply.json.issue[0].code).toBe('multiple-matches');
  });

  it('If-None-Exist with an unknown parameter is refused instead of matching everything', async () => {
    const reply = await s.fhir('POST', 'Patient', pat('x'), { 'If-None-Exist': 'identifer=urn:cond|x' });
    expect(reply.status).toBe(400);
  });

  it('conditional update creates when nothing matches, updates the one match, refuses several', async () => {
    const created = await s.fhir('PUT', 'Patient?identifier=urn:cond|u', pat('u', { gender: 'male' }));
    expect(created.status).toBe(201);
    const updated = await s.fhir('PUT', 'Patient?identifier=urn:cond|u', pat('u', { gender: 'female' }));
    expect(updated.status).toBe(200);
    expect(updated.json.id).toBe(created.json.id);
    expect(updated.json.meta.versionId).toBe('2');
    expect((await s.fhir('PUT', 'Patient?identifier=urn:cond|twice', pat('twice'))).status).toBe(412);
  });

  it('conditional delete removes the one match and refuses several when CONDITIONAL_DELETE=single', async () => {
    const created = await s.fhir('POST', 'Patient', pat('d'));
    expect((await s.fhir('DELETE', 'Patient?identifier=urn:cond|d')).status).toBe(204);
    expect((await s.fhir('GET', `Patient/${created.json.id}`)).status).toBe(410);
    expect((await s.fhir('DELETE', 'Patient?identifier=urn:cond|twice')).status).toBe(412);
    expect((await s.fhir('GET', 'Patient?identifier=urn:cond|twice&_summary=count')).json.total).toBe(2);
  });

  it('conditional delete of several resources works when CONDITIONAL_DELETE=multiple', async () => {
    const multi = await startTestServer('pglite', { CONDITIONAL_DELETE: 'multiple' });
    try {
      for (let i = 0; i < 3; i++) await multi.fhir('POST', 'Patient', pat('many'));
      expect((await multi.fhir('DELETE', 'Patient?identifier=urn:cond|many')).status).toBe(204);
      expect((await multi.fhir('GET', 'Patient?identifier=urn:cond|many&_summary=count')).json.total).toBe(0);
      const capability = (await multi.fhir('GET', 'metadata')).json;
      expect(capability.rest[0].resource.find((r: any) => r.type === 'Patient').conditionalDelete).toBe('multiple');
    } finally {
      await multi.close();
    }
  });
});
