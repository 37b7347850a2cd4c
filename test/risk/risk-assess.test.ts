import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { writeUserModel } from './user-model.ts';
import { heartRate, putBundle, vitalSet } from './vital-signs.ts';

type Json = Record<string, any>;

const T = '2024-03-01T10:00:00Z';
const AT = '2024-03-01T11:00:00Z';
const scratch = mkdtempSync(join(tmpdir(), 'risk-assess-'));
let s: TestServer;
const errors = (resource: unknown) => s.server.services.validate(resource).filter((i) => i.severity === 'error' || i.severity === 'fatal');
const param = (p: Json, name: string) => p.parameter.filter((x: Json) => x.name === name).map((x: Json) => x.resource);

beforeAll(async () => {
  writeUserModel(join(scratch, 'user-tachy'));
  // Scoring off: only $risk-assess writes here, so what it stores can be counted exactly.
  s = await startTestServer('pglite', { RISK_SCORING: 'off', RISK_MODEL_DIRS: scratch, PROVENANCE: 'off' });
  await s.fhir('PUT', 'Patient/p1', { resourceType: 'Patient', id: 'p1', gender: 'female' });
  await s.fhir('PUT', 'Patient/p2', { resourceType: 'Patient', id: 'p2', gender: 'male' });
  expect((await s.fhir('POST', '', putBundle(vitalSet('p1', 'a', T)))).status).toBe(200);
  expect((await s.fhir('POST', '', putBundle(vitalSet('p2', 'b', T).filter((o) => !o.id.endsWith('-temp'))))).status).toBe(200);
});
afterAll(async () => {
  await s?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('Patient/$risk-assess', () => {
  it('scores on demand and stores the result, idempotently', async () => {
    const first = await s.fhir('POST', `Patient/p1/$risk-assess?model=news2&at=${AT}`);
    expect(first.status).toBe(200);
    const [ra] = param(first.json, 'riskAssessment');
    const [score] = param(first.json, 'scoreObservation');
    expect(score.valueInteger).toBe(0);
    expect(ra.meta.versionId).toBe('1');
    expect(ra.basis.at(-1).reference).toBe(`Observation/${score.id}/_history/1`);
    expect((await s.fhir('GET', `RiskAssessment/${ra.id}`)).json).toEqual(ra);
    expect(errors(ra)).toEqual([]);
    expect(errors(score)).toEqual([]);
    const head = await s.server.outbox.headSeq();
    const again = await s.fhir('POST', `Patient/p1/$risk-assess?model=news2&at=${AT}`);
    expect(param(again.json, 'riskAssessment')[0]).toEqual(ra);
    expect(await s.server.outbox.headSeq()).toBe(head);
  });

  it('answers a what-if question with inline Observations and writes nothing', async () => {
    const head = await s.server.outbox.headSeq();
    const before = (await s.fhir('GET', 'RiskAssessment?_summary=count')).json.total;
    const rr = { ...vitalSet('p1', 'x', '2024-03-01T10:30:00Z')[0] };
    delete rr.id;
    rr.valueQuantity = { ...rr.valueQuantity, value: 30 };
    const reply = await s.fhir('POST', 'Patient/p1/$risk-assess', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'model', valueString: 'news2' },
        { name: 'at', valueDateTime: AT },
        { name: 'observation', resource: rr },
      ],
    });
    expect(reply.status).toBe(200);
    const [ra] = param(reply.json, 'riskAssessment');
    // RR 30 scores 3 on its own: NEWS2 3, low-medium (a red score).
    expect(ra.prediction[0].rationale).toMatch(/^NEWS2 3, low-medium clinical risk/);
    expect(ra.contained).toHaveLength(1);
    expect(ra.contained[0].id).toBe('what-if-1');
    expect(ra.basis.map((b: Json) => b.reference)).toContain('#what-if-1');
    expect(ra.note.at(-1).text).toMatch(/^What-if assessment/);
    expect(errors(ra)).toEqual([]);
    expect(await s.server.outbox.headSeq()).toBe(head);
    expect((await s.fhir('GET', 'RiskAssessment?_summary=count')).json.total).toBe(before);
  });

  it('answers 422 naming the missing inputs', async () => {
    const reply = await s.fhir('POST', `Patient/p2/$risk-assess?at=${AT}`);
    expect(reply.status).toBe(422);
    expect(reply.json.resourceType).toBe('OperationOutcome');
    const errorsOnly = reply.json.issue.filter((i: Json) => i.severity === 'error');
    expect(errorsOnly).toHaveLength(1);
    expect(errorsOnly[0].code).toBe('incomplete');
    expect(errorsOnly[0].diagnostics).toContain("missing input 'temp': no usable Body temperature (LOINC 8310-5) in the PT24H look-back before 2024-03-01T11:00:00.000Z");
  });

  it('refuses bad requests with FHIR errors', async () => {
    expect((await s.fhir('POST', 'Patient/p1/$risk-assess?model=nope')).status).toBe(400);
    expect((await s.fhir('POST', 'Patient/nobody/$risk-assess')).status).toBe(404);
    expect((await s.fhir('GET', 'Patient/p1/$risk-assess')).status).toBe(405);
    const other = { ...vitalSet('p2', 'y', T)[0] };
    const wrongSubject = await s.fhir('POST', 'Patient/p1/$risk-assess', { resourceType: 'Parameters', parameter: [{ name: 'observation', resource: other }] });
    expect(wrongSubject.status).toBe(400);
    expect(wrongSubject.json.issue[0].expression).toEqual(['Parameters.parameter[0].resource.subject']);
    const { status: _status, ...invalid } = vitalSet('p1', 'z', T)[0];
    const bad = await s.fhir('POST', 'Patient/p1/$risk-assess', { resourceType: 'Parameters', parameter: [{ name: 'observation', resource: invalid }] });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json.issue)).toContain('Parameters.parameter[0].resource');
    expect((await s.fhir('POST', `Patient/p1/$risk-assess?at=yesterday`)).status).toBe(400);
  });

  it('scores a user-supplied ONNX model from RISK_MODEL_DIRS without code changes', async () => {
    await s.fhir('PUT', 'Observation/u-hr', heartRate('u-hr', 'p1', '2024-03-01T10:45:00Z', 120));
    const reply = await s.fhir('POST', `Patient/p1/$risk-assess?model=user-tachy&at=${AT}`);
    expect(reply.status).toBe(200);
    const [ra] = param(reply.json, 'riskAssessment');
    // The card's logistic model by hand: 1 / (1 + e^-(0.05·(120 − 80) + 0.1·(16 − 16))).
    expect(ra.prediction[0].probabilityDecimal).toBeCloseTo(1 / (1 + Math.exp(-2)), 5);
    expect(ra.basis.map((b: Json) => b.reference).sort()).toEqual(['Observation/a-rr/_history/1', 'Observation/u-hr/_history/1']);
    expect(ra.meta.security[0].code).toBe('AIAST');
    expect((await s.fhir('GET', 'Device/model-user-tachy-0.1.0')).status).toBe(200);
    expect(errors(ra)).toEqual([]);
  });
});
