import { describe, expect, it } from 'vitest';
import { canonicalQuantity, convertUcum, isValidUcum, normalizeUnit } from '../../terminology/ucum.ts';

describe('UCUM validity', () => {
  it('accepts the codes vital-signs Observations use', () => {
    for (const code of ['/min', '{beat}/min', 'mm[Hg]', 'Cel', '[degF]', 'kg/m2', '%', 'mg/dL', 'mmol/L', '{steps}', 'kg', '[lb_av]', 'cm', '[in_i]', 'kPa']) {
      expect(isValidUcum(code), code).toBe(true);
    }
  });

  it('rejects the spellings real payloads send', () => {
    for (const code of ['count/min', 'beats/min', 'mmHg', 'degC', 'lb', 'steps', 'kg/m^2', 'bpm', '', ' kg', 'Kg ']) {
      expect(isValidUcum(code), code).toBe(false);
    }
  });
});

describe('normalizeUnit', () => {
  it('maps real-world units to UCUM', () => {
    const cases: Record<string, string> = {
      'count/min': '/min',
      'beats/min': '/min',
      bpm: '/min',
      'breaths/min': '/min',
      mmHg: 'mm[Hg]',
      'mm Hg': 'mm[Hg]',
      degC: 'Cel',
      '°C': 'Cel',
      degF: '[degF]',
      '°F': '[degF]',
      lb: '[lb_av]',
      lbs: '[lb_av]',
      kg: 'kg',
      '%': '%',
      'mg/dl': 'mg/dL',
      'mmol/l': 'mmol/L',
      steps: '{steps}',
      'kg/m^2': 'kg/m2',
      in: '[in_i]',
    };
    for (const [text, ucum] of Object.entries(cases)) expect(normalizeUnit(text), text).toBe(ucum);
  });

  it('resolves ambiguous letters only when a temperature is expected', () => {
    expect(normalizeUnit('C', 'Cel')).toBe('Cel');
    expect(normalizeUnit('F', 'Cel')).toBe('[degF]');
    // Without context C is the coulomb, a valid UCUM unit.
    expect(normalizeUnit('C')).toBe('C');
    expect(normalizeUnit('count', '{steps}')).toBe('{steps}');
    expect(normalizeUnit('furlongs per fortnight')).toBeUndefined();
  });
});

describe('convertUcum', () => {
  it('converts temperatures affinely', () => {
    expect(convertUcum(99.5, '[degF]', 'Cel')).toBeCloseTo(37.5, 10);
    expect(convertUcum(0, 'Cel', 'K')).toBeCloseTo(273.15, 10);
    expect(convertUcum(37.5, 'Cel', '[degF]')).toBeCloseTo(99.5, 10);
    expect(convertUcum(-40, 'Cel', '[degF]')).toBeCloseTo(-40, 10);
  });

  it('converts multiplicative units', () => {
    // 1 kPa = 1000 Pa; 1 mm[Hg] = 133.322 Pa (UCUM definition).
    expect(convertUcum(1, 'kPa', 'mm[Hg]')).toBeCloseTo(1000 / 133.322, 6);
    expect(convertUcum(1, '[lb_av]', 'kg')).toBeCloseTo(0.45359237, 10);
    expect(convertUcum(1, '[in_i]', 'cm')).toBeCloseTo(2.54, 10);
    expect(convertUcum(72, '{beat}/min', '/min')).toBe(72);
  });

  it('refuses invalid or incommensurable units', () => {
    expect(convertUcum(1, 'mmHg', 'mm[Hg]')).toBeUndefined();
    expect(convertUcum(1, 'kg', 'cm')).toBeUndefined();
    expect(convertUcum(1, 'mg/dL', 'mmol/L')).toBeUndefined();
  });
});

describe('canonicalQuantity', () => {
  it('makes 99.5 [degF] and 37.5 Cel the same quantity (310.65 K)', () => {
    const f = canonicalQuantity(99.5, '[degF]')!;
    const c = canonicalQuantity(37.5, 'Cel')!;
    expect(f.code).toBe('K');
    expect(c).toEqual({ value: 310.65, code: 'K' });
    expect(f.value).toBeCloseTo(c.value, 9);
  });

  it('makes mm[Hg] and kPa comparable in base units', () => {
    const mmHg = canonicalQuantity(120, 'mm[Hg]')!;
    const kPa = canonicalQuantity(16, 'kPa')!;
    expect(mmHg.code).toBe(kPa.code);
    expect(mmHg.code).toBe('m-1.s-2.g');
    // 120 mm[Hg] = 15998.64 Pa = 15998640 g·m⁻¹·s⁻²; 16 kPa = 16000000.
    expect(mmHg.value).toBeCloseTo(15998640, 3);
    expect(kPa.value).toBe(16_000_000);
  });

  it('is undefined for invalid and arbitrary units', () => {
    expect(canonicalQuantity(1, 'mmHg')).toBeUndefined();
    expect(canonicalQuantity(1, '[IU]/L')).toBeUndefined();
  });

  it('puts ratios and rates on a dimensionless or per-second basis', () => {
    expect(canonicalQuantity(97, '%')).toEqual({ value: 0.97, code: '1' });
    expect(canonicalQuantity(60, '/min')).toEqual({ value: 1, code: 's-1' });
  });
});
