import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateResource } from '../../conformance/validate.ts';
import { loadModelRegistry, type ModelRegistry } from '../../server/risk/model-registry.ts';
import { ModelRuntime } from '../../server/risk/model-runtime.ts';
import { modelDeviceReference } from '../../server/risk/model-device.ts';
import { extractNews2Inputs } from '../../server/risk/news2-inputs.ts';
import { buildNews2RiskAssessment } from '../../server/risk/news2-assessment.ts';
import { buildNews2ScoreObservation, news2ScoreFromOutputs, type News2Success } from '../../server/risk/news2-score-observation.ts';
import { news2Oracle } from '../../server/risk/news2-oracle.ts';
import { RISK_CONTRIBUTION_URL } from '../../server/risk/risk-codes.ts';
import { codedObs, normalVitals, quantityObs } from './observation-fixtures.ts';

type Json = Record<string, any>;

let registry: ModelRegistry;
let runtime: ModelRuntime;
beforeAll(async () => {
  registry = loadModelRegistry({ extraDirs: [] });
  runtime = await ModelRuntime.create(registry);
});
afterAll(async () => runtime.close());

const T = '2024-03-01T10:00:00Z';
const AT = '2024-03-01T10:30:00Z';

/** Extraction → ONNX → score Observation + RiskAssessment, as the pipeline will chain them. */
async function score(resources: Json[]) {
  const card = registry.require('news2').card;
  const extraction = extractNews2Inputs(card, resources, AT);
  if (!extraction.ok) throw new Error(`missing ${extraction.missing.join(', ')}`);
  const outputs = await runtime.score('news2', extraction.features, 1);
  const result = news2ScoreFromOutputs(outputs);
  const observation: Json = buildNews2ScoreObservation({
    subject: 'Patient/p1',
    effectiveDateTime: AT,
    extraction,
    score: result,
    device: modelDeviceReference(card),
  });
  const assessment: Json = buildNews2RiskAssessment({
    card,
    subject: 'Patient/p1',
    occurrenceDateTime: AT,
    extraction: extraction as News2Success,
    score: result,
    scoreObservation: 'Observation/score-1/_history/1',
  });
  return { extraction, result, observation, assessment };
}

/** Medium risk: RR 22 (+2), pulse 95 (+1), temperature 38.5 (+1), on oxygen 2 L/min (+2) = 6. */
function mediumRisk(): Json[] {
  const keep = normalVitals(T).filter((r) => !['rr', 'hr', 'temp', 'o2'].includes(r.id as string));
  return [
    ...keep,
    quantityObs('9279-1', 22, '/min', T, { id: 'rr' }),
    quantityObs('8867-4', 95, '/min', T, { id: 'hr' }),
    quantityObs('8310-5', 101.3, '[degF]', T, { id: 'temp' }),
    quantityObs('3151-8', 2, 'L/min', T, { id: 'o2' }),
  ];
}

/** Every validator finding, warnings included, as readable lines. */
const errors = (resource: unknown) => validateResource(resource).map((i) => `${i.severity}: ${i.diagnostics}`);

it('the R4 validator used here does catch a broken RiskAssessment', () => {
  const broken = { resourceType: 'RiskAssessment', subject: { reference: 'Patient/p1' }, prediction: [{ probabilityDecimal: 150 }] };
  const found = errors(broken).join('\n');
  expect(found).toContain('RiskAssessment.status');
  expect(found).toContain('ras-2');
});

describe('NEWS2 score Observation and RiskAssessment', () => {
  it('scores as the chart oracle does', async () => {
    const { extraction, result } = await score(mediumRisk());
    expect(result).toEqual(news2Oracle(extraction.ok ? extraction.values : (undefined as never)));
    expect(result).toEqual({ parts: [2, 0, 2, 0, 1, 0, 1], total: 6, band: 'medium' });
  });

  it('builds the score Observation: SNOMED total, valueInteger, sub-score components, derivedFrom the input versions', async () => {
    const { observation } = await score(mediumRisk());
    expect(observation.code.coding[0]).toEqual({ system: 'http://snomed.info/sct', code: '1104051000000101' });
    expect(observation.valueInteger).toBe(6);
    expect(observation.status).toBe('final');
    expect(observation.device).toEqual({ reference: 'Device/model-news2-1.0.0', display: 'National Early Warning Score 2 (NEWS2) 1.0.0' });
    expect(observation.derivedFrom.map((d: Json) => d.reference)).toEqual([
      'Observation/rr/_history/1',
      'Observation/spo2/_history/1',
      'Observation/o2/_history/1',
      'Observation/bp/_history/1',
      'Observation/hr/_history/1',
      'Observation/acvpu/_history/1',
      'Observation/temp/_history/1',
    ]);
    expect(observation.component.map((c: Json) => [c.code.coding[0].code, c.valueInteger])).toEqual([
      ['1104301000000104', 2],
      ['1104311000000102', 0],
      ['1104331000000105', 2],
      ['1104341000000101', 0],
      ['1104351000000103', 1],
      ['1104361000000100', 0],
      ['1104371000000107', 1],
    ]);
    expect(errors(observation)).toEqual([]);
  });

  it('builds the RiskAssessment: final, method, Device performer, basis, both qualitative codings, contributions, rationale', async () => {
    const { assessment } = await score(mediumRisk());
    expect(assessment).toMatchObject({
      resourceType: 'RiskAssessment',
      status: 'final',
      subject: { reference: 'Patient/p1' },
      occurrenceDateTime: AT,
      method: { coding: [{ system: 'http://snomed.info/sct', code: '1104051000000101' }] },
      performer: { reference: 'Device/model-news2-1.0.0' },
    });
    expect(assessment.basis.map((b: Json) => b.reference).at(-1)).toBe('Observation/score-1/_history/1');
    expect(assessment.basis).toHaveLength(8);
    const prediction = assessment.prediction[0];
    expect(prediction.qualitativeRisk.coding).toEqual([
      { system: 'http://terminology.hl7.org/CodeSystem/risk-probability', code: 'moderate', display: 'Moderate likelihood' },
      { system: 'http://vitalchain.dev/fhir/CodeSystem/news2-clinical-risk', code: 'medium', display: 'Medium clinical risk (aggregate 5-6)' },
    ]);
    expect(prediction.probabilityDecimal).toBeUndefined();
    expect(prediction.whenPeriod).toEqual({ start: AT, end: '2024-03-02T10:30:00.000Z' });
    expect(prediction.rationale).toBe(
      'NEWS2 6, medium clinical risk. Points: respiratory rate 22 /min +2, air or oxygen on oxygen +2, pulse 95 /min +1, ' +
        'temperature 38.5 °C +1. Scored 0: SpO2 97 % (scale 1), systolic BP 125 mmHg, consciousness alert.',
    );
    const contributions = prediction.extension.filter((e: Json) => e.url === RISK_CONTRIBUTION_URL);
    expect(contributions).toHaveLength(7);
    const byCode = Object.fromEntries(
      contributions.map((c: Json) => {
        const part = (name: string) => c.extension.find((e: Json) => e.url === name);
        return [part('feature').valueCoding.code, { points: part('contribution').valueDecimal, basis: part('basis').valueReference.reference, value: part('value') }];
      }),
    );
    expect(byCode['9279-1']).toMatchObject({ points: 2, basis: 'Observation/rr/_history/1', value: { valueQuantity: { value: 22, code: '/min' } } });
    expect(byCode['3151-8']).toMatchObject({ points: 2, value: { valueQuantity: { value: 2, code: 'L/min' } } });
    expect(byCode['8310-5'].value.valueQuantity.value).toBeCloseTo(38.5, 9);
    expect(byCode['67775-7']).toMatchObject({ points: 0, value: { valueCodeableConcept: { coding: [{ code: 'LA9340-6' }] } } });
    expect(assessment.mitigation).toMatch(/^Urgent response threshold/);
    expect(assessment.meta).toBeUndefined(); // a chart, not AI: no AIAST label
    expect(errors(assessment)).toEqual([]);
  });

  it('maps every NEWS2 band to a risk-probability code', async () => {
    const low = await score(normalVitals(T));
    const red = await score([...normalVitals(T).filter((r) => r.id !== 'acvpu'), codedObs('67775-7', 'LA17108-4', T, { id: 'acvpu' })]);
    const high = await score([...mediumRisk().filter((r) => r.id !== 'rr'), quantityObs('9279-1', 26, '/min', T, { id: 'rr' })]);
    const codes = (a: Json) => a.prediction[0].qualitativeRisk.coding.map((c: Json) => c.code);
    expect(codes(low.assessment)).toEqual(['low', 'low']);
    expect(codes(red.assessment)).toEqual(['moderate', 'low-medium']);
    expect(codes(high.assessment)).toEqual(['high', 'high']);
    expect(red.assessment.prediction[0].rationale).toContain('consciousness Verbal +3');
    for (const r of [low, red, high]) {
      expect(errors(r.assessment)).toEqual([]);
      expect(errors(r.observation)).toEqual([]);
    }
  });

  it('codes the SpO2 sub-score by scale', async () => {
    const flag = {
      resourceType: 'Flag',
      id: 'f1',
      meta: { versionId: '1' },
      status: 'active',
      code: { coding: [{ system: 'http://vitalchain.dev/fhir/CodeSystem/risk-flag', code: 'spo2-scale-2' }] },
      subject: { reference: 'Patient/p1' },
    };
    const { observation, assessment, result } = await score([...mediumRisk(), flag]);
    // Scale 2, 97 % on oxygen: 3 points instead of 0.
    expect(result.parts[1]).toBe(3);
    expect(observation.component[1].code.coding[0].code).toBe('1104321000000108');
    expect(assessment.prediction[0].rationale).toContain('SpO2 scale 2 per Flag/f1/_history/1.');
  });
});
