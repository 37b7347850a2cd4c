import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { definitionsOfType } from '../../conformance/definition-package.ts';
import { componentByLoinc, vitalByKey, vitalByLoinc, vitalSigns } from '../../terminology/loinc.ts';
import { mdcCode, mdcForVital, mdcUnit } from '../../terminology/mdc.ts';
import { checkRange } from '../../terminology/physiological-ranges.ts';
import { isValidUcum } from '../../terminology/ucum.ts';
import { FIXTURES, IPF, PHD_EXAMPLES, readFixtureJson } from '../mappings/fixture-paths.ts';

type Json = Record<string, any>;

function element(definition: Json, id: string): Json | undefined {
  return (definition.snapshot.element as Json[]).find((entry) => entry.id === id);
}

describe('LOINC vital-signs table against the R4 definitions', () => {
  const structures = new Map(definitionsOfType('StructureDefinition').map((sd) => [sd.url as string, sd]));
  const valueSets = new Map(definitionsOfType('ValueSet').map((vs) => [vs.url as string, vs]));

  it('has the fixed LOINC code of every R4 vital-signs child profile', () => {
    const profiles = vitalSigns().filter((vital) => vital.profile && vital.key !== 'vital-signs-panel');
    expect(profiles.length).toBeGreaterThanOrEqual(9);
    for (const vital of profiles) {
      const sd = structures.get(vital.profile!)!;
      expect(sd, vital.profile).toBeDefined();
      const fixed = (sd.snapshot.element as Json[]).filter((entry) => /^Observation\.code\.coding:[^.]+\.code$/.test(entry.id)).map((entry) => entry.fixedCode);
      expect(fixed, vital.key).toContain(vital.loinc);
    }
  });

  it('allows exactly the units of each profile (fixed code or required value set)', () => {
    for (const vital of vitalSigns().filter((v) => v.profile && !v.components && v.units.length > 0)) {
      const sd = structures.get(vital.profile!)!;
      const code = element(sd, 'Observation.value[x]:valueQuantity.code') ?? element(sd, 'Observation.valueQuantity.code');
      let allowed: string[];
      if (code?.fixedCode) allowed = [code.fixedCode];
      else {
        const vs = valueSets.get(String(code?.binding?.valueSet).split('|')[0]!)!;
        allowed = (vs.compose.include as Json[]).flatMap((include) => (include.concept ?? []).map((concept: Json) => concept.code));
      }
      expect(new Set(vital.units), vital.key).toEqual(new Set(allowed));
      for (const unit of vital.units) expect(isValidUcum(unit), unit).toBe(true);
    }
  });

  it('has the blood-pressure component codes of the bp profile', () => {
    const sd = structures.get('http://hl7.org/fhir/StructureDefinition/bp')!;
    const fixed = (sd.snapshot.element as Json[]).filter((entry) => /^Observation\.component:[^.]+\.code\.coding:[^.]+\.code$/.test(entry.id)).map((entry) => entry.fixedCode);
    expect(new Set(fixed)).toEqual(new Set(['8480-6', '8462-4']));
    expect(componentByLoinc('8480-6')?.component.name).toBe('systolic');
    expect(componentByLoinc('8462-4')?.component.name).toBe('diastolic');
  });

  it('agrees with the derived cross-walk on every LOINC code it shares', () => {
    const crosswalk = readFixtureJson(FIXTURES, 'derived/vitals-code-map.json');
    const named: Record<string, string> = { 'Heart rate': 'heart-rate', 'Respiratory rate': 'respiratory-rate', 'Oxygen saturation': 'oxygen-saturation', 'Body temperature': 'body-temperature', 'Body height': 'body-height', 'Body weight': 'body-weight', BMI: 'bmi', 'Blood pressure panel': 'blood-pressure', 'Step count': 'step-count', 'Resting heart rate': 'resting-heart-rate' };
    for (const entry of crosswalk.vitals as Json[]) {
      const key = named[entry.name];
      if (!key) continue;
      expect(vitalByKey(key)!.loinc, entry.name).toBe(entry.loinc);
    }
    expect(vitalByLoinc('59408-5')?.key).toBe('oxygen-saturation');
    expect(vitalByLoinc('99504-3')?.key).toBe('cgm-glucose');
  });
});

describe('MDC subset against the PHD IG and IPF fixtures', () => {
  function phdCodings(): Json[] {
    const out: Json[] = [];
    const visit = (value: unknown) => {
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value === 'object') {
        const object = value as Json;
        if (object.system === 'urn:iso:std:iso:11073:10101' && typeof object.code === 'string') out.push(object);
        Object.values(object).forEach(visit);
      }
    };
    for (const file of fs.readdirSync(PHD_EXAMPLES).filter((name) => name.endsWith('.json'))) visit(readFixtureJson(PHD_EXAMPLES, file));
    return out;
  }

  it('names every PHD example code it knows with the same reference id', () => {
    const codings = phdCodings();
    let checked = 0;
    for (const coding of codings) {
      const entry = mdcCode(coding.code);
      if (!entry || !coding.display?.startsWith('MDC_')) continue;
      expect(entry.refid, coding.code).toBe(coding.display);
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('maps PHD vital codes to the LOINC codes the PHD examples put beside them', () => {
    for (const file of ['compound-numeric-blood-pressure.json', 'temperature-observation.json', 'numeric-spotnumeric.json', 'numeric-spo2-alarm.json']) {
      const observation = readFixtureJson(PHD_EXAMPLES, file);
      const mdc = observation.code.coding.find((c: Json) => c.system === 'urn:iso:std:iso:11073:10101');
      const loinc = observation.code.coding.find((c: Json) => c.system === 'http://loinc.org');
      expect(vitalByKey(mdcCode(mdc.code)!.vital!)!.loinc, file).toBe(loinc.code);
    }
  });

  it('finds every code it attributes to IPF in the IPF messages, with that reference id', () => {
    const text = fs
      .readdirSync(path.join(IPF, 'pcd01'))
      .concat(fs.readdirSync(path.join(IPF, 'wan')).map((name) => `../wan/${name}`))
      .map((name) => fs.readFileSync(path.join(IPF, 'pcd01', name), 'utf8'))
      .join('\n');
    for (const [code, refid] of [['150021', 'MDC_PRESS_BLD_NONINV_SYS'], ['147842', 'MDC_ECG_HEART_RATE'], ['528391', 'MDC_DEV_SPEC_PROFILE_BP'], ['266016', 'MDC_DIM_MMHG'], ['263904', 'MDC_DIM_LB']]) {
      expect(text).toContain(`${code}^${refid}^MDC`);
      expect(mdcCode(code)?.refid ?? mdcUnit(code)?.refid).toBe(refid);
    }
  });

  it('maps MDC units to valid UCUM', () => {
    for (const code of ['264864', '262688', '268192', '266560', '263441', '263875', '264096', '266016', '264274', '263904', '263520']) {
      const unit = mdcUnit(code)!;
      expect(isValidUcum(unit.ucum), unit.refid).toBe(true);
    }
    expect(mdcUnit('MDC_DIM_MMHG')?.ucum).toBe('mm[Hg]');
    expect(mdcForVital('blood-pressure', 'systolic')?.code).toBe('150021');
  });
});

describe('physiological ranges', () => {
  it('classifies readings in the unit they come in', () => {
    expect(checkRange('heart-rate', undefined, 72, '/min')).toBe('ok');
    expect(checkRange('heart-rate', undefined, 260, '/min')).toBe('implausible');
    expect(checkRange('heart-rate', undefined, 1200, '/min')).toBe('impossible');
    expect(checkRange('body-temperature', undefined, 98.6, '[degF]')).toBe('ok');
    expect(checkRange('body-temperature', undefined, 986, '[degF]')).toBe('impossible');
    expect(checkRange('blood-pressure', 'systolic', 16, 'kPa')).toBe('ok');
    expect(checkRange('oxygen-saturation', undefined, 101, '%')).toBe('impossible');
    expect(checkRange('body-weight', undefined, 154, '[lb_av]')).toBe('ok');
    expect(checkRange('hrv-sdnn', undefined, 50, 'kg')).toBe('unknown');
  });
});
