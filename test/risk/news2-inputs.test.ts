import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadModelDir, BUILTIN_MODELS_DIR } from '../../server/risk/model-registry.ts';
import { extractNews2Inputs } from '../../server/risk/news2-inputs.ts';
import { bpPanel, codedObs, LOINC, normalVitals, quantityObs } from './observation-fixtures.ts';

const card = loadModelDir(resolve(BUILTIN_MODELS_DIR, 'news2')).card;
const T = '2024-03-01T10:00:00Z';
const AT = '2024-03-01T10:30:00Z';

type Json = Record<string, unknown>;
const withOut = (resources: Json[], id: string) => resources.filter((r) => r.id !== id);

function ok(resources: Json[], at = AT) {
  const result = extractNews2Inputs(card, resources, at);
  if (!result.ok) throw new Error(`missing ${result.missing.join(', ')}`);
  return result;
}

describe('NEWS2 feature extraction', () => {
  it('reads a complete set into the feature vector with versioned input references', () => {
    const r = ok(normalVitals(T));
    expect(r.values).toEqual({ rr: 16, spo2: 97, onOxygen: false, sbp: 125, pulse: 72, notAlert: false, temp: 37, scale: 1 });
    expect(Array.from(r.features)).toEqual([16, 97, 0, 125, 72, 0, 37, 1]);
    expect(r.basis).toEqual([
      'Observation/rr/_history/1',
      'Observation/spo2/_history/1',
      'Observation/o2/_history/1',
      'Observation/bp/_history/1',
      'Observation/hr/_history/1',
      'Observation/acvpu/_history/1',
      'Observation/temp/_history/1',
    ]);
  });

  it('gives no score, only the missing inputs, when any input is absent — never 0 points', () => {
    const r = extractNews2Inputs(card, withOut(withOut(normalVitals(T), 'acvpu'), 'o2'), AT);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.missing).toEqual(['on_oxygen', 'consciousness']);
    const none = extractNews2Inputs(card, [], AT);
    expect(none.ok === false && none.missing.length).toBe(7);
  });

  it('uses only readings inside the 24 h look-back and not after the scoring time', () => {
    const old = quantityObs('9279-1', 30, '/min', '2024-02-28T10:00:00Z', { id: 'rr-old' });
    const future = quantityObs('9279-1', 30, '/min', '2024-03-01T11:00:00Z', { id: 'rr-future' });
    const r = extractNews2Inputs(card, [...withOut(normalVitals(T), 'rr'), old, future], AT);
    expect(r.ok === false && r.missing).toEqual(['rr']);
    expect(ok([...normalVitals(T), old, future]).values.rr).toBe(16);
  });

  it('takes the latest usable value and skips entered-in-error, absent and implausible ones', () => {
    const later = '2024-03-01T10:20:00Z';
    const resources = [
      ...normalVitals(T),
      quantityObs('8867-4', 140, '/min', later, { id: 'hr-error', status: 'entered-in-error' }),
      quantityObs('8867-4', 999, '/min', later, { id: 'hr-implausible' }),
      { ...quantityObs('8867-4', 0, '/min', later, { id: 'hr-absent' }), valueQuantity: undefined, dataAbsentReason: { text: 'sensor off' } },
      quantityObs('8867-4', 95, '/min', '2024-03-01T10:10:00Z', { id: 'hr-new', version: '2' }),
    ];
    const r = ok(resources);
    expect(r.values.pulse).toBe(95);
    expect(r.basis).toContain('Observation/hr-new/_history/2');
    const reasons = r.rejected.map((x) => `${x.reference}: ${x.reason}`);
    expect(reasons).toContain('Observation/hr-error/_history/1: status entered-in-error');
    expect(reasons.some((x) => x.startsWith('Observation/hr-implausible/_history/1: 999 /min is outside'))).toBe(true);
    expect(reasons).toContain('Observation/hr-absent/_history/1: data absent');
  });

  it('reads systolic from a standalone 8480-6 or a 85354-9 panel, whichever is newer', () => {
    const standalone = quantityObs('8480-6', 98, 'mm[Hg]', '2024-03-01T10:15:00Z', { id: 'sbp' });
    expect(ok([...normalVitals(T), standalone]).values.sbp).toBe(98);
    const newerPanel = bpPanel(132, 85, '2024-03-01T10:25:00Z', { id: 'bp2' });
    const r = ok([...normalVitals(T), standalone, newerPanel]);
    expect(r.values.sbp).toBe(132);
    expect(r.basis).toContain('Observation/bp2/_history/1');
  });

  it('reads SpO2 coded 59408-5 alone', () => {
    const spo2 = quantityObs('59408-5', 93, '%', '2024-03-01T10:05:00Z', { id: 'pox' });
    expect(ok([...withOut(normalVitals(T), 'spo2'), spo2]).values.spo2).toBe(93);
  });

  it('decides oxygen from the latest of 3151-8 flow (> 0) and 3150-0 concentration (> 21 %)', () => {
    const air = withOut(normalVitals(T), 'o2');
    const flow = (v: number, t: string) => quantityObs('3151-8', v, 'L/min', t, { id: `flow-${v}` });
    const fio2 = (v: number, unit: string, t: string) => quantityObs('3150-0', v, unit, t, { id: `fio2-${v}` });
    expect(ok([...air, flow(2, T)]).values.onOxygen).toBe(true);
    expect(ok([...air, flow(0, T)]).values.onOxygen).toBe(false);
    expect(ok([...air, fio2(28, '%', T)]).values.onOxygen).toBe(true);
    expect(ok([...air, fio2(21, '%', T)]).values.onOxygen).toBe(false);
    expect(ok([...air, fio2(0.4, '1', T)]).values.onOxygen).toBe(true);
    // Oxygen stopped after it was started: the later reading wins.
    expect(ok([...air, flow(2, T), fio2(21, '%', '2024-03-01T10:20:00Z')]).values.onOxygen).toBe(false);
    // US Core pulse oximetry carries the flow as a component.
    const pox = {
      ...quantityObs(['59408-5', '2708-6'], 95, '%', T, { id: 'pox' }),
      component: [{ code: { coding: [{ system: LOINC, code: '3151-8' }] }, valueQuantity: { value: 3, unit: 'L/min', system: 'http://unitsofmeasure.org', code: 'L/min' } }],
    };
    expect(ok([...withOut(air, 'spo2'), pox]).values).toMatchObject({ spo2: 95, onOxygen: true });
  });

  it('maps ACVPU answers: alert 0, confused / voice / pain / unresponsive 1', () => {
    const expectations: Array<[string, boolean]> = [
      ['LA9340-6', false],
      ['LA6560-2', true],
      ['LA17108-4', true],
      ['LA17107-6', true],
      ['LA9343-0', true],
    ];
    for (const [answer, notAlert] of expectations) {
      const resources = [...withOut(normalVitals(T), 'acvpu'), codedObs('67775-7', answer, T, { id: 'acvpu' })];
      expect(ok(resources).values.notAlert).toBe(notAlert);
    }
    const unknown = [...withOut(normalVitals(T), 'acvpu'), codedObs('67775-7', 'LA0000-0', T, { id: 'acvpu' })];
    expect(extractNews2Inputs(card, unknown, AT).ok).toBe(false);
  });

  it('converts any UCUM temperature unit to °C and rounds half-up to 0.1', () => {
    const temp = (v: number, unit: string) => [...withOut(normalVitals(T), 'temp'), quantityObs('8310-5', v, unit, T, { id: 't' })];
    expect(ok(temp(98.6, '[degF]')).values.temp).toBe(37);
    expect(ok(temp(101.3, '[degF]')).values.temp).toBe(38.5);
    expect(ok(temp(310.65, 'K')).values.temp).toBe(37.5);
    expect(ok(temp(35.05, 'Cel')).values.temp).toBe(35.1);
    expect(ok(temp(38.04, 'Cel')).values.temp).toBe(38);
  });

  it('rounds whole-number parameters half-up', () => {
    const resources = [...withOut(normalVitals(T), 'rr'), quantityObs('9279-1', 20.5, '/min', T, { id: 'rr' })];
    expect(ok(resources).values.rr).toBe(21);
  });

  it('uses SpO2 scale 2 only for a confirmed, active hypercapnic failure or an active scale-2 flag', () => {
    const condition = (verification: string, clinical = 'active', extra: Json = {}) => ({
      resourceType: 'Condition',
      id: 'c1',
      meta: { versionId: '4' },
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: clinical }] },
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: verification }] },
      code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'J96.12' }] },
      subject: { reference: 'Patient/p1' },
      ...extra,
    });
    expect(ok([...normalVitals(T), condition('confirmed')])).toMatchObject({ values: { scale: 2 }, scale2Evidence: 'Condition/c1/_history/4' });
    expect(ok([...normalVitals(T), condition('provisional')]).values.scale).toBe(1);
    expect(ok([...normalVitals(T), condition('confirmed', 'resolved')]).values.scale).toBe(1);
    expect(ok([...normalVitals(T), condition('confirmed', 'active', { abatementDateTime: '2024-02-01' })]).values.scale).toBe(1);
    expect(ok([...normalVitals(T), condition('confirmed', 'active', { onsetDateTime: '2024-04-01' })]).values.scale).toBe(1);
    const flag = (status: string) => ({
      resourceType: 'Flag',
      id: 'f1',
      status,
      code: { coding: [{ system: 'http://vitalchain.dev/fhir/CodeSystem/risk-flag', code: 'spo2-scale-2' }] },
      subject: { reference: 'Patient/p1' },
    });
    expect(ok([...normalVitals(T), flag('active')]).values.scale).toBe(2);
    expect(ok([...normalVitals(T), flag('inactive')]).values.scale).toBe(1);
  });

  it('reads a Synthea record: its vitals are found, and the inputs Synthea never records are reported missing', () => {
    const bundle = JSON.parse(
      gunzipSync(readFileSync(resolve(process.cwd(), '..', 'shared', 'synthea', '057aa36e-b892-9964-75b9-ffb46b097e34.json.gz'))).toString('utf8'),
    );
    const resources: Json[] = bundle.entry.map((e: { resource: Json }) => e.resource);
    const spo2s = resources.filter((r) => r.resourceType === 'Observation' && JSON.stringify(r.code).includes('"2708-6"'));
    const last = spo2s.map((r) => r.effectiveDateTime as string).sort((a, b) => Date.parse(b) - Date.parse(a))[0];
    const at = new Date(Date.parse(last) + 60_000).toISOString();
    const missing = extractNews2Inputs(card, resources, at);
    expect(missing.ok).toBe(false);
    if (missing.ok) return;
    expect(missing.missing).toContain('on_oxygen');
    expect(missing.missing).toContain('consciousness');
    expect(missing.missing).not.toContain('spo2');
    const sameTime = (code: string) =>
      resources.filter((r) => r.resourceType === 'Observation' && r.effectiveDateTime === last && JSON.stringify(r.code).includes(`"${code}"`));
    const complete = extractNews2Inputs(card, [...resources, quantityObs('3151-8', 0, 'L/min', last), codedObs('67775-7', 'LA9340-6', last)], at);
    expect(missing.missing.filter((m) => m !== 'on_oxygen' && m !== 'consciousness')).toEqual(
      ['rr', 'sbp', 'pulse', 'temp'].filter((f) => !complete.ok || !complete.used.some((u) => u.feature === f)),
    );
    // Synthea may record several SpO2 values at one instant; the one used must be one of them, value intact.
    const used = complete.used.find((u) => u.feature === 'spo2')!;
    const candidates = sameTime('2708-6');
    const chosen = candidates.find((c) => used.reading.reference === `Observation/${c.id as string}`);
    expect(chosen).toBeDefined();
    expect(used.reading.value).toBe((chosen!.valueQuantity as { value: number }).value);
  });
});
