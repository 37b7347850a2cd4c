import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateResource } from '../../conformance/validate.ts';
import { buildPimaModel, findMassData, trainPima } from '../../models/pima/train.ts';
import { extractCardInputs } from '../../server/risk/card-inputs.ts';
import { buildModelRiskAssessment, type CardSuccess } from '../../server/risk/model-assessment.ts';
import { BUILTIN_MODELS_DIR, loadModelRegistry, type ModelRegistry } from '../../server/risk/model-registry.ts';
import { ModelRuntime } from '../../server/risk/model-runtime.ts';
import { RISK_CONTRIBUTION_URL } from '../../server/risk/risk-codes.ts';
import { bpPanel, patient, quantityObs } from './observation-fixtures.ts';

type Json = Record<string, any>;

/** R 4.2 glm(type ~ ., data = Pima.tr, family = binomial) coefficients, printed by R itself (not by this code). */
const R_GLM = {
  intercept: -9.773061532908,
  npreg: 0.103183427319,
  glu: 0.032116822893,
  bp: -0.004767541975,
  skin: -0.001916631747,
  bmi: 0.083623912055,
  ped: 1.820410367451,
  age: 0.041183528816,
};
const FEATURES = ['npreg', 'glu', 'bp', 'skin', 'bmi', 'ped', 'age'] as const;

let registry: ModelRegistry;
let runtime: ModelRuntime;
beforeAll(async () => {
  registry = loadModelRegistry({ extraDirs: [] });
  runtime = await ModelRuntime.create(registry);
});
afterAll(async () => runtime.close());

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const logit = (x: number[]) => R_GLM.intercept + FEATURES.reduce((s, f, j) => s + R_GLM[f] * x[j], 0);

describe('Pima logistic regression (learned model, not for clinical use)', () => {
  it('carries the coefficients R glm fits on Pima.tr, in its ONNX initializers', () => {
    const model = registry.require('pima-diabetes-lr');
    const weights = Array.from(model.explanationWeights!);
    FEATURES.forEach((f, j) => expect(weights[j]).toBeCloseTo(R_GLM[f], 6));
    expect(model.card.parameters?.intercept).toBeCloseTo(R_GLM.intercept, 8);
    expect(model.card.notForClinicalUse).toBe(true);
    expect(model.device.safety).toEqual([{ text: 'NOT FOR CLINICAL USE' }]);
  });

  it('reports a held-out error beside Ripley’s 66/332 for logistic regression', () => {
    const { evaluation } = registry.require('pima-diabetes-lr').card as Json;
    expect(evaluation.heldOut).toMatchObject({ n: 332, errors: 66 });
    expect(evaluation.ripley1996).toMatchObject({ errors: 66, n: 332 });
    // R: AUROC 0.8658822561 and Brier 0.139310594 for the same fit on Pima.te.
    expect(evaluation.heldOut.auroc).toBeCloseTo(0.8659, 4);
    expect(evaluation.heldOut.brier).toBeCloseTo(0.1393, 4);
  });

  it('runs in ONNX as sigmoid(intercept + w·x) to float32 precision', async () => {
    const rows = Array.from({ length: 500 }, (_, i) => [i % 12, 60 + (i * 7) % 140, 40 + (i * 3) % 60, 10 + (i * 5) % 50, 18 + (i % 30), ((i * 13) % 200) / 100, 21 + (i % 50)]);
    const out = await runtime.score('pima-diabetes-lr', Float32Array.from(rows.flat()), rows.length);
    const worst = Math.max(...rows.map((r, i) => Math.abs(out.probability[i] - sigmoid(logit(r)))));
    expect(worst).toBeLessThan(2e-6);
  });

  const massData = findMassData();
  it.skipIf(!massData)('retrains from Debian r-cran-mass to the committed bytes and figures', () => {
    const { fit, testMetrics } = trainPima(massData!);
    expect(testMetrics.errors).toBe(66);
    const committed = readFileSync(join(BUILTIN_MODELS_DIR, 'pima', 'pima.onnx'));
    expect(Buffer.from(buildPimaModel(fit)).equals(committed)).toBe(true);
  });

  function record(extra: Json[] = []): Json[] {
    const t = '2024-05-01T09:00:00Z';
    return [
      patient('female', '1974-06-15'),
      { ...quantityObs('11996-6', 0, '1', t, { id: 'npreg' }), valueQuantity: undefined, valueInteger: 2 },
      quantityObs('1518-0', 10, 'mmol/L', t, { id: 'ogtt' }),
      bpPanel(130, 84, t, { id: 'bp' }),
      quantityObs('39156-5', 33.1, 'kg/m2', t, { id: 'bmi' }),
      { ...quantityObs('x', 25, 'mm', t, { id: 'skin' }), code: { coding: [{ system: 'http://vitalchain.dev/fhir/CodeSystem/model-feature', code: 'triceps-skinfold' }] } },
      {
        ...quantityObs('x', 0.52, '1', t, { id: 'ped' }),
        code: { coding: [{ system: 'http://vitalchain.dev/fhir/CodeSystem/model-feature', code: 'diabetes-pedigree-function' }] },
      },
      ...extra,
    ];
  }

  it('scores from LOINC-coded Observations and Patient.birthDate into a RiskAssessment with probability and contributions', async () => {
    const model = registry.require('pima-diabetes-lr');
    const at = '2024-05-02T12:00:00Z';
    const extraction = extractCardInputs(model.card, record(), at);
    expect(extraction.ok).toBe(true);
    const x = Array.from((extraction as CardSuccess).features);
    // glucose 10 mmol/L = 180.156 mg/dL; age 49 on 2024-05-02 for a birth date of 1974-06-15.
    expect(x.map((v) => Number(v.toFixed(3)))).toEqual([2, 180.156, 84, 25, 33.1, 0.52, 49]);
    const outputs = await runtime.score(model.card.id, (extraction as CardSuccess).features, 1);
    const ra: Json = buildModelRiskAssessment({ model, subject: 'Patient/p1', occurrenceDateTime: at, extraction: extraction as CardSuccess, outputs });
    const expected = sigmoid(logit(x));
    const prediction = ra.prediction[0];
    expect(prediction.probabilityDecimal).toBeCloseTo(expected, 5);
    expect(prediction.qualitativeRisk.coding[0].code).toBe(expected < 0.1 ? 'low' : expected < 0.5 ? 'moderate' : 'high');
    expect(ra.meta.security[0].code).toBe('AIAST');
    expect(ra.note[0].text).toMatch(/^NOT FOR CLINICAL USE/);
    expect(ra.performer.reference).toBe('Device/model-pima-diabetes-lr-1.0.0');
    expect(ra.basis.map((b: Json) => b.reference)).toEqual([
      'Observation/npreg/_history/1',
      'Observation/ogtt/_history/1',
      'Observation/bp/_history/1',
      'Observation/skin/_history/1',
      'Observation/bmi/_history/1',
      'Observation/ped/_history/1',
      'Patient/p1/_history/3',
    ]);
    // Contributions w·(x − training mean) add up to the logit minus the logit at the training means.
    const means = (model.card.explanation!.reference as number[]);
    const sum = prediction.extension
      .filter((e: Json) => e.url === RISK_CONTRIBUTION_URL)
      .reduce((s: number, e: Json) => s + e.extension.find((p: Json) => p.url === 'contribution').valueDecimal, 0);
    expect(sum).toBeCloseTo(logit(x) - logit(means), 2);
    expect(prediction.rationale).toMatch(/^Probability \d+\.\d % \((low|moderate|high)\) of: Diabetes mellitus/);
    expect(prediction.rationale).toContain('2-hour OGTT plasma glucose 180.156 mg/dL +');
    expect(prediction.rationale).toMatch(/NOT FOR CLINICAL USE\.$/);
    expect(validateResource(ra).map((i) => `${i.severity}: ${i.diagnostics}`)).toEqual([]);
  });

  it('gives no score without the pedigree function, and never takes a random glucose for the OGTT value', () => {
    const card = registry.require('pima-diabetes-lr').card;
    const noPed = record().filter((r) => r.id !== 'ped');
    const result = extractCardInputs(card, noPed, '2024-05-02T12:00:00Z');
    expect(result.ok === false && result.missing).toEqual(['ped']);
    const randomGlucose = [...record().filter((r) => r.id !== 'ogtt'), quantityObs('2345-7', 180, 'mg/dL', '2024-05-01T09:00:00Z')];
    const r2 = extractCardInputs(card, randomGlucose, '2024-05-02T12:00:00Z');
    expect(r2.ok === false && r2.missing).toEqual(['glu']);
  });
});
