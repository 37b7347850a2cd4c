import { describe, expect, it } from 'vitest';
import { serverPerBackend } from '../helpers/server-per-backend.ts';
import type { Backend, TestServer } from '../helpers/test-server.ts';

describe.each(['pglite', 'postgres'] as Backend[])('group commit on %s', (backend) => {
  let s: TestServer;
  const suite = serverPerBackend(backend, (server) => (s = server));

  it('concurrent writes share transactions but fail alone: a stale If-Match does not take others down', async (t) => {
    if (suite.absent) return t.skip();
    await s.fhir('PUT', 'Patient/gc', { resourceType: 'Patient', id: 'gc' });
    const creates = Array.from({ length: 40 }, (_, i) => s.fhir('POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: `gc${i}` } }));
    const stale = Array.from({ length: 5 }, () => s.fhir('PUT', 'Patient/gc', { resourceType: 'Patient', id: 'gc', gender: 'other' }, { 'If-Match': 'W/"7"' }));
    const replies = await Promise.all([...creates, ...stale]);
    expect(replies.slice(0, 40).map((r) => r.status)).toEqual(Array(40).fill(201));
    expect(replies.slice(40).map((r) => r.status)).toEqual(Array(5).fill(412));
    const history = await s.fhir('GET', '_history?_count=100&_total=accurate');
    expect(history.json.total).toBe(41);
    // Every created resource is readable and has its own outbox event (history is the outbox).
    const ids = new Set(history.json.entry.map((e: any) => e.fullUrl));
    for (const reply of replies.slice(0, 40)) expect(ids.has(`${s.baseUrl}/Observation/${reply.json.id}`)).toBe(true);
  });
});
