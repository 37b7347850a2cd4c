import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RISK_CONSUMER } from '../../server/risk/risk-feature.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { settle } from './consumer-settle.ts';
import { NORMAL, putBundle, vitalSet } from './vital-signs.ts';

type Json = Record<string, any>;

let s: TestServer;
let root: string;

async function call(path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; json: Json }> {
  const response = await fetch(`${root}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'Content-Type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as Json };
}

const patientView = (patientId: string, prefetch?: Json) => ({
  hook: 'patient-view',
  hookInstance: randomUUID(),
  context: { userId: 'Practitioner/dr-1', patientId },
  ...(prefetch ? { prefetch } : {}),
});

beforeAll(async () => {
  s = await startTestServer('pglite', { PROVENANCE: 'off' });
  root = s.url.replace(/\/fhir$/, '');
  await s.fhir('PUT', 'Patient/p1', { resourceType: 'Patient', id: 'p1', gender: 'male' });
  // RR 26 → 3, SBP 95 → 2, HR 115 → 2: NEWS2 7, high.
  expect((await s.fhir('POST', '', putBundle(vitalSet('p1', 'a', '2024-03-01T10:00:00Z', { ...NORMAL, rr: 26, sbp: 95, hr: 115 })))).status).toBe(200);
  await settle(s.server.outbox, RISK_CONSUMER);
});
afterAll(async () => s?.close());

describe('CDS Hooks', () => {
  it('describes its patient-view service with prefetch templates', async () => {
    const reply = await call('/cds-services');
    expect(reply.status).toBe(200);
    expect(reply.json.services).toEqual([
      expect.objectContaining({
        hook: 'patient-view',
        id: 'vitalchain-risk',
        description: expect.any(String),
        prefetch: { patient: 'Patient/{{context.patientId}}', riskAssessments: 'RiskAssessment?subject=Patient/{{context.patientId}}&_sort=-date&_count=50' },
      }),
    ]);
  });

  it('answers patient-view from the store: a critical NEWS2 card linking to the RiskAssessment version', async () => {
    const reply = await call('/cds-services/vitalchain-risk', patientView('p1'));
    expect(reply.status).toBe(200);
    const news2 = reply.json.cards.find((c: Json) => c.summary.startsWith('NEWS2'));
    expect(news2.summary).toBe('NEWS2 7: High clinical risk (aggregate 7 or more)');
    expect(news2.summary.length).toBeLessThan(140);
    expect(news2.indicator).toBe('critical');
    expect(news2.source.label).toBe('VitalChain risk scoring');
    expect(news2.detail).toContain('NEWS2 7, high clinical risk. Points: respiratory rate 26 /min +3');
    expect(news2.detail).toContain('**Response:** Emergency response');
    expect(news2.detail).toContain('| Input | Value | Points |');
    const [link] = news2.links;
    expect(link.type).toBe('absolute');
    expect(link.url).toMatch(new RegExp(`^${s.baseUrl}/RiskAssessment/[^/]+/_history/1$`));
    const linked = await s.fhir('GET', link.url.slice(s.baseUrl.length + 1));
    expect(linked.status).toBe(200);
    expect(linked.json.subject.reference).toBe('Patient/p1');
  });

  it('uses the prefetch when the client sends it, and none for an unknown patient', async () => {
    const stored = (await s.fhir('GET', 'RiskAssessment?subject=Patient/p1')).json.entry.map((e: Json) => e.resource);
    const news2 = stored.find((r: Json) => r.method.coding[0].code === '1104051000000101');
    // A prefetched, older-looking assessment at moderate risk must be what the card shows.
    const moderate = structuredClone(news2);
    moderate.id = 'prefetched';
    moderate.prediction[0].qualitativeRisk = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/risk-probability', code: 'moderate' }], text: 'Medium clinical risk (aggregate 5-6)' };
    const reply = await call(
      '/cds-services/vitalchain-risk',
      patientView('p1', { patient: { resourceType: 'Patient', id: 'p1' }, riskAssessments: { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: moderate }] } }),
    );
    expect(reply.status).toBe(200);
    expect(reply.json.cards).toHaveLength(1);
    expect(reply.json.cards[0].indicator).toBe('warning');
    expect(reply.json.cards[0].links[0].url).toContain('/RiskAssessment/prefetched/');
    const unknown = await call('/cds-services/vitalchain-risk', patientView('p1', { patient: null, riskAssessments: null }));
    expect(unknown.json).toEqual({ cards: [] });
    expect((await call('/cds-services/vitalchain-risk', patientView('nobody'))).json).toEqual({ cards: [] });
  });

  it('refuses malformed calls with 400 and unknown services with 404', async () => {
    const noPatient = await call('/cds-services/vitalchain-risk', { hook: 'patient-view', hookInstance: 'x', context: { userId: 'Practitioner/1' } });
    expect(noPatient.status).toBe(400);
    expect(noPatient.json.error).toContain('context.patientId');
    expect((await call('/cds-services/vitalchain-risk', { ...patientView('p1'), hook: 'order-sign' })).status).toBe(400);
    expect((await call('/cds-services/vitalchain-risk', '{"hook": ', 'application/json')).status).toBe(400);
    expect((await call('/cds-services/vitalchain-risk', { ...patientView('p1'), fhirAuthorization: { access_token: 'x', token_type: 'Bearer', expires_in: 1, scope: 'a', subject: 'b' } })).status).toBe(400);
    expect((await call('/cds-services/other', patientView('p1'))).status).toBe(404);
  });
});
