import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelRegistry } from '../../server/risk/model-registry.ts';
import { ModelDevices } from '../../server/risk/model-devices.ts';
import { ModelRuntime } from '../../server/risk/model-runtime.ts';
import { riskConsumer } from '../../server/risk/risk-consumer.ts';
import { RiskScorer } from '../../server/risk/risk-scorer.ts';
import { RISK_CONSUMER } from '../../server/risk/risk-feature.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { settle } from './consumer-settle.ts';
import { heartRate, NORMAL, putBundle, vitalSet } from './vital-signs.ts';

type Json = Record<string, any>;

const T = '2024-03-01T10:00:00Z';
/** Hand-scored from RCP chart 1: RR 22 → 2, SpO2 97 → 0, on O2 → 2, SBP 125 → 0, HR 95 → 1, alert → 0, 38.5 °C → 1. */
const MEDIUM = { ...NORMAL, rr: 22, o2: 2, hr: 95, temp: 38.5 };

let s: TestServer;
const errors = (resource: unknown) => s.server.services.validate(resource).filter((i) => i.severity === 'error' || i.severity === 'fatal');

async function search(query: string): Promise<Json[]> {
  const reply = await s.fhir('GET', query);
  expect(reply.status).toBe(200);
  return (reply.json.entry ?? []).map((e: Json) => e.resource);
}

beforeAll(async () => {
  s = await startTestServer('pglite', { PROVENANCE: 'off' });
  await s.fhir('PUT', 'Patient/p1', { resourceType: 'Patient', id: 'p1', gender: 'female', birthDate: '1950-01-01' });
  await s.fhir('PUT', 'Patient/p2', { resourceType: 'Patient', id: 'p2', gender: 'male' });
});
afterAll(async () => s?.close());

describe('risk scoring through the server', () => {
  it('scores a patient whose vital signs arrive through REST: score Observation and RiskAssessment, valid, exact basis versions', async () => {
    const reply = await s.fhir('POST', '', putBundle(vitalSet('p1', 'a', T, MEDIUM)));
    expect(reply.status).toBe(200);
    await settle(s.server.outbox, RISK_CONSUMER);

    const scores = await search('Observation?subject=Patient/p1&code=http://snomed.info/sct|1104051000000101');
    expect(scores).toHaveLength(1);
    const score = scores[0];
    expect(score.valueInteger).toBe(6);
    expect(score.effectiveDateTime).toBe('2024-03-01T10:00:00.000Z');
    const inputs = ['a-rr', 'a-spo2', 'a-o2', 'a-bp', 'a-hr', 'a-acvpu', 'a-temp'].map((id) => `Observation/${id}/_history/1`);
    expect(score.derivedFrom.map((r: Json) => r.reference).sort()).toEqual([...inputs].sort());
    expect(score.device.reference).toBe('Device/model-news2-1.0.0');
    expect(errors(score)).toEqual([]);

    const assessments = await search('RiskAssessment?subject=Patient/p1&method=http://snomed.info/sct|1104051000000101');
    expect(assessments).toHaveLength(1);
    const ra = assessments[0];
    expect(ra.status).toBe('final');
    expect(ra.occurrenceDateTime).toBe('2024-03-01T10:00:00.000Z');
    expect(ra.performer.reference).toBe('Device/model-news2-1.0.0');
    expect(ra.basis.map((b: Json) => b.reference)).toEqual([...score.derivedFrom.map((r: Json) => r.reference), `Observation/${score.id}/_history/1`]);
    expect(ra.prediction[0].qualitativeRisk.coding.map((c: Json) => c.code)).toEqual(['moderate', 'medium']);
    expect(ra.prediction[0].extension).toHaveLength(7);
    expect(ra.prediction[0].rationale).toMatch(/^NEWS2 6, medium clinical risk/);
    expect(errors(ra)).toEqual([]);

    // The model's Device came through the write path, carrying the artifact's sha256.
    const device = (await s.fhir('GET', 'Device/model-news2-1.0.0')).json;
    expect(device.identifier[0]).toEqual({ system: 'http://vitalchain.dev/fhir/sid/model-sha256', value: loadModelRegistry({ extraDirs: [] }).require('news2').sha256 });
    expect(errors(device)).toEqual([]);
  });

  it('goes idle after scoring: its own writes trigger nothing', async () => {
    const head = await settle(s.server.outbox, RISK_CONSUMER);
    await new Promise((r) => setTimeout(r, 700));
    expect(await s.server.outbox.headSeq()).toBe(head);
    expect(await s.server.outbox.cursor(RISK_CONSUMER)).toBe(head);
  });

  it('writes nothing new when a batch is delivered again (at-least-once replay)', async () => {
    const head = await s.server.outbox.headSeq();
    const registry = loadModelRegistry({ extraDirs: [] });
    const runtime = await ModelRuntime.create(registry);
    try {
      const handle = riskConsumer({ services: s.server.services, registry, scorer: new RiskScorer(runtime), devices: new ModelDevices() });
      const outcome = await handle(await s.server.outbox.read(0, 10_000));
      expect(outcome.patients).toBe(1);
      expect(outcome.scores).toBeGreaterThan(0);
      expect(outcome.writes).toBe(0);
      expect(await s.server.outbox.headSeq()).toBe(head);
    } finally {
      await runtime.close();
    }
  });

  it('does not score a patient with a missing input', async () => {
    const six = vitalSet('p2', 'b', T).filter((o) => !o.id.endsWith('-temp'));
    expect((await s.fhir('POST', '', putBundle(six))).status).toBe(200);
    await settle(s.server.outbox, RISK_CONSUMER);
    expect(await search('RiskAssessment?subject=Patient/p2')).toEqual([]);
    expect(await search('Observation?subject=Patient/p2&code=http://snomed.info/sct|1104051000000101')).toEqual([]);
  });

  it('rescores on an updated input, pointing at its new version', async () => {
    const [hr] = vitalSet('p1', 'a', T, { ...MEDIUM, hr: 135 }).filter((o) => o.id === 'a-hr');
    expect((await s.fhir('PUT', 'Observation/a-hr', hr)).status).toBe(200);
    await settle(s.server.outbox, RISK_CONSUMER);
    const assessments = await search('RiskAssessment?subject=Patient/p1&method=http://snomed.info/sct|1104051000000101&_sort=-_lastUpdated');
    expect(assessments).toHaveLength(2);
    const latest = assessments.find((a) => a.basis.some((b: Json) => b.reference === 'Observation/a-hr/_history/2'))!;
    // HR 135 → 3 points instead of 1: NEWS2 8, high.
    expect(latest.prediction[0].rationale).toMatch(/^NEWS2 8, high clinical risk/);
    expect(latest.prediction[0].qualitativeRisk.coding[0].code).toBe('high');
  });

  it('runs the personal baseline once a signal has enough history', async () => {
    await s.fhir('PUT', 'Patient/p3', { resourceType: 'Patient', id: 'p3', gender: 'female' });
    const history = [70, 72, 71, 73, 72].map((bpm, i) => heartRate(`hr-${i}`, 'p3', `2024-03-01T0${i + 5}:00:00Z`, bpm));
    expect((await s.fhir('POST', '', putBundle(history))).status).toBe(200);
    expect((await s.fhir('PUT', 'Observation/hr-new', heartRate('hr-new', 'p3', '2024-03-01T11:00:00Z', 140))).status).toBe(201);
    await settle(s.server.outbox, RISK_CONSUMER);
    const baseline = (await search('RiskAssessment?subject=Patient/p3')).filter((a) => a.method.coding[0].code === 'personal-baseline');
    const flagged = baseline.find((a) => a.basis[0].reference === 'Observation/hr-new/_history/1')!;
    // Mean 71.6, SD 1.1 floored to 2: 140 is 34 SD above.
    expect(flagged.prediction[0].rationale).toBe('HR 140/min, 34.2 SD above her 14-day baseline 72 ± 1 (flagged). Baseline from 5 readings.');
    expect(flagged.prediction[0].qualitativeRisk.coding[0].code).toBe('high');
    expect(flagged.basis).toHaveLength(6);
    expect(errors(flagged)).toEqual([]);
  });
});
