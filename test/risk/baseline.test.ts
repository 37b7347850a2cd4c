import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateResource } from '../../conformance/validate.ts';
import { assessLatest, assessObservation, buildBaselineRiskAssessment } from '../../server/risk/baseline.ts';
import { BUILTIN_MODELS_DIR, loadModelDir } from '../../server/risk/model-registry.ts';
import { bpPanel, patient, quantityObs } from './observation-fixtures.ts';

type Json = Record<string, any>;
const card = loadModelDir(resolve(BUILTIN_MODELS_DIR, 'baseline')).card;
const DAY = 24 * 3600 * 1000;
const NOW = Date.parse('2024-06-15T08:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** Heart rates over the last 14 days: 7 × 58, 7 × 90 and one 74 → mean 74, sample SD exactly 16. */
function heartRateHistory(): Json[] {
  const values = [58, 90, 58, 90, 58, 90, 58, 90, 58, 90, 58, 90, 58, 90, 74];
  return values.map((v, i) => quantityObs('8867-4', v, '/min', iso(NOW - (i + 1) * 0.9 * DAY), { id: `hr-${i}` }));
}

describe('personal baseline', () => {
  it('explains a reading against the patient’s own 14-day baseline in words', () => {
    const reading = quantityObs('8867-4', 128, '/min', iso(NOW), { id: 'hr-new', version: '2' });
    const [finding] = assessObservation(card, reading, [patient('female', '1950-01-01'), ...heartRateHistory()]);
    expect(finding.explanation).toBe('HR 128/min, 3.4 SD above her 14-day baseline 74 ± 16');
    expect(finding.baseline).toMatchObject({ mean: 74, n: 15, windowDays: 14 });
    expect(finding.baseline.sd).toBeCloseTo(16, 12);
    expect(finding.z).toBeCloseTo((128 - 74) / 16, 12);
    expect(finding.flagged).toBe(true);
  });

  it('leaves out readings older than the window, and the reading itself', () => {
    const old = quantityObs('8867-4', 200, '/min', iso(NOW - 15 * DAY), { id: 'hr-old' });
    const reading = quantityObs('8867-4', 60, '/min', iso(NOW), { id: 'hr-new' });
    const [finding] = assessObservation(card, reading, [patient('male', '1950-01-01'), old, reading, ...heartRateHistory()]);
    expect(finding.baseline.n).toBe(15);
    expect(finding.baseline.references).not.toContain('Observation/hr-old/_history/1');
    expect(finding.explanation).toBe('HR 60/min, 0.9 SD below his 14-day baseline 74 ± 16');
    expect(finding.flagged).toBe(false);
  });

  it('needs five earlier readings before it says anything', () => {
    const reading = quantityObs('8867-4', 128, '/min', iso(NOW), { id: 'hr-new' });
    expect(assessObservation(card, reading, heartRateHistory().slice(0, 4))).toEqual([]);
    expect(assessObservation(card, reading, heartRateHistory().slice(0, 5))).toHaveLength(1);
  });

  it('floors the SD so a flat history does not turn every change into a flag', () => {
    const flat = Array.from({ length: 6 }, (_, i) => quantityObs('8867-4', 70, '/min', iso(NOW - (i + 1) * DAY), { id: `flat-${i}` }));
    const [finding] = assessObservation(card, quantityObs('8867-4', 74, '/min', iso(NOW)), flat);
    // SD 0 is floored at 2/min: z = 4 / 2.
    expect(finding.z).toBe(2);
    expect(finding.explanation).toBe('HR 74/min, 2.0 SD above their 14-day baseline 70 ± 0');
  });

  it('pools glucose codes and units (mmol/L converted with the molar mass)', () => {
    const history = [95, 110, 102, 99, 120, 105].map((v, i) => quantityObs('2339-0', v, 'mg/dL', iso(NOW - (i + 1) * DAY), { id: `glu-${i}` }));
    const reading = quantityObs('15074-8', 12, 'mmol/L', iso(NOW), { id: 'glu-new' });
    const [finding] = assessObservation(card, reading, history);
    expect(finding.reading.value).toBeCloseTo(12 * 18.0156, 6);
    const mean = (95 + 110 + 102 + 99 + 120 + 105) / 6;
    expect(finding.baseline.mean).toBeCloseTo(mean, 12);
    expect(finding.explanation).toMatch(/^glucose 216 mg\/dL, \d+\.\d SD above their 14-day baseline 105 ± 9$/);
  });

  it('reads systolic from a blood-pressure panel and assesses the latest reading of each signal', () => {
    const history = [118, 122, 120, 119, 121, 120].map((v, i) => bpPanel(v, 80, iso(NOW - (i + 1) * DAY), { id: `bp-${i}` }));
    const latest = assessLatest(card, [...history, bpPanel(165, 95, iso(NOW), { id: 'bp-new' }), ...heartRateHistory()], iso(NOW + 60_000));
    expect(latest.map((f) => f.signal).sort()).toEqual(['hr', 'sbp']);
    const sbp = latest.find((f) => f.signal === 'sbp')!;
    expect(sbp.reading.reference).toBe('Observation/bp-new/_history/1');
    expect(sbp.flagged).toBe(true);
    expect(sbp.explanation).toMatch(/^systolic BP 165 mmHg, \d+\.\d SD above their 14-day baseline 120 ± 1$/);
  });

  it('becomes a valid RiskAssessment with the explanation as rationale and the baseline as basis', () => {
    const reading = quantityObs('8867-4', 128, '/min', iso(NOW), { id: 'hr-new', version: '2' });
    const [finding] = assessObservation(card, reading, [patient('female', '1950-01-01'), ...heartRateHistory()]);
    const ra: Json = buildBaselineRiskAssessment(card, finding, 'Patient/p1');
    expect(ra.prediction[0].rationale).toBe('HR 128/min, 3.4 SD above her 14-day baseline 74 ± 16 (flagged). Baseline from 15 readings.');
    expect(ra.prediction[0].qualitativeRisk.coding[0].code).toBe('high');
    expect(ra.basis[0].reference).toBe('Observation/hr-new/_history/2');
    expect(ra.basis).toHaveLength(16);
    expect(ra.method.coding[0].code).toBe('personal-baseline');
    expect(ra.meta).toBeUndefined(); // statistical, not machine learning: no AIAST label
    expect(validateResource(ra).map((i) => `${i.severity}: ${i.diagnostics}`)).toEqual([]);
  });
});
