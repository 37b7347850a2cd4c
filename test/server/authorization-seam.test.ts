import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizationRequest } from '../../server/http/authorization.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

describe('one authorization seam for every interaction', () => {
  let s: TestServer;
  const seen: AuthorizationRequest[] = [];
  beforeAll(async () => {
    s = await startTestServer('pglite');
    // A policy like a SMART one would be: no Observation writes, searches narrowed to one patient.
    s.server.services.authorization = {
      authorize(request) {
        seen.push(request);
        if (request.resourceType === 'Observation' && ['create', 'update', 'delete', 'patch'].includes(request.interaction)) return { effect: 'deny', reason: 'Observations are read-only for this client' };
        if (request.interaction === 'search-type' && request.resourceType === 'Observation') return { effect: 'narrow', searchParams: [['subject', 'Patient/allowed']] };
        return { effect: 'allow' };
      },
    };
    await s.fhir('PUT', 'Patient/allowed', { resourceType: 'Patient', id: 'allowed' });
  });
  afterAll(async () => s?.close());

  it('denies REST writes with 403 and an OperationOutcome', async () => {
    const reply = await s.fhir('POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: 'x' } });
    expect(reply.status).toBe(403);
    expect(reply.json.issue[0].code).toBe('forbidden');
  });

  it('checks each transaction and batch entry, not just the bundle', async () => {
    const entry = { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' } }, request: { method: 'POST', url: 'Observation' } };
    const transaction = await s.fhir('POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } }, entry] });
    expect(transaction.status).toBe(403);
    expect(transaction.json.issue[0].diagnostics).toContain('Bundle.entry[1]');
    const batch = await s.fhir('POST', '', { resourceType: 'Bundle', type: 'batch', entry: [entry] });
    expect(batch.json.entry[0].response.status).toBe('403 Forbidden');
    expect(seen.some((r) => r.interaction === 'transaction')).toBe(true);
    expect(seen.filter((r) => r.interaction === 'create' && r.resourceType === 'Observation').length).toBeGreaterThanOrEqual(2);
  });

  it('narrows searches with the parameters the policy adds, invisibly to links', async () => {
    const reply = await s.fhir('GET', 'Observation?status=final');
    expect(reply.status).toBe(200);
    const self = reply.json.link.find((l: any) => l.relation === 'self').url;
    expect(self).not.toContain('allowed');
    const interactions = new Set(seen.map((r) => r.interaction));
    await s.fhir('GET', 'metadata');
    await s.fhir('GET', 'Patient/allowed/_history');
    await s.fhir('GET', 'Patient/allowed/$everything');
    expect([...new Set(seen.map((r) => r.interaction))]).toEqual(expect.arrayContaining([...interactions, 'capabilities', 'history-instance', 'operation']));
    expect(seen.find((r) => r.interaction === 'operation')!.operation).toBe('everything');
  });
});
