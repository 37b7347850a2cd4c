import { areCommensurable, isValidUcum } from './ucum.ts';

/**
 * Unit strings real devices and vendor APIs send, mapped to UCUM. Sources: the reference note's
 * table of invalid units seen in payloads (count/min, beats/min, mmHg, degC, lb, steps), the Open
 * mHealth unit enums (beats/min, breaths/min, F/C/K, kg/m^2, lb, in), HealthKit export units
 * (count/min, degC, lb, count) and common gateway spellings (bpm, °C, mg/dl). Keys are compared
 * after trimming; a second, lower-cased table catches case variants.
 */
const ALIASES: Record<string, string> = {
  'count/min': '/min',
  'counts/min': '/min',
  'beats/min': '/min',
  'beat/min': '/min',
  'beats/minute': '/min',
  'beats per minute': '/min',
  bpm: '/min',
  'b/min': '/min',
  'breaths/min': '/min',
  'breaths/minute': '/min',
  'breath/min': '/min',
  brpm: '/min',
  '1/min': '/min',
  'min-1': '/min',
  '/minute': '/min',
  'per minute': '/min',
  mmhg: 'mm[Hg]',
  'mm hg': 'mm[Hg]',
  'mm[hg]': 'mm[Hg]',
  degc: 'Cel',
  '°c': 'Cel',
  '℃': 'Cel',
  'deg c': 'Cel',
  'degrees c': 'Cel',
  celsius: 'Cel',
  cel: 'Cel',
  degf: '[degF]',
  '°f': '[degF]',
  '℉': '[degF]',
  'deg f': '[degF]',
  'degrees f': '[degF]',
  fahrenheit: '[degF]',
  '[degf]': '[degF]',
  kelvin: 'K',
  lb: '[lb_av]',
  lbs: '[lb_av]',
  pound: '[lb_av]',
  pounds: '[lb_av]',
  '[lb_av]': '[lb_av]',
  kgs: 'kg',
  kilogram: 'kg',
  kilograms: 'kg',
  gram: 'g',
  grams: 'g',
  oz: '[oz_av]',
  in: '[in_i]',
  inch: '[in_i]',
  inches: '[in_i]',
  '[in_i]': '[in_i]',
  ft: '[ft_i]',
  feet: '[ft_i]',
  meter: 'm',
  meters: 'm',
  metre: 'm',
  metres: 'm',
  percent: '%',
  pct: '%',
  'mg/dl': 'mg/dL',
  'mmol/l': 'mmol/L',
  'kg/m^2': 'kg/m2',
  'kg/m²': 'kg/m2',
  'kg/m2': 'kg/m2',
  'l/min': 'L/min',
  lpm: 'L/min',
  steps: '{steps}',
  step: '{steps}',
  msec: 'ms',
  millisecond: 'ms',
  milliseconds: 'ms',
  sec: 's',
  second: 's',
  seconds: 's',
  minute: 'min',
  minutes: 'min',
  kcal: 'kcal',
  cal: 'cal',
};

/** Ambiguous single letters: valid UCUM for other quantities (coulomb, farad), temperatures in vitals payloads. */
const TEMPERATURE_LETTERS: Record<string, string> = { C: 'Cel', F: '[degF]', K: 'K' };

/** Unitless counts that mean "the expected annotation" (HealthKit step count is `count`). */
const COUNT_WORDS = new Set(['count', 'counts', '{count}', '1', '']);

/**
 * UCUM code for a real-world unit string, or undefined when it cannot be mapped. With an expected
 * unit (the vital sign's UCUM unit), ambiguous spellings are resolved toward it: `C` is Celsius
 * when a temperature is expected, `count` is `{steps}` when steps are expected.
 */
export function normalizeUnit(text: string, expected?: string): string | undefined {
  const trimmed = text.trim();
  if (expected) {
    const letter = TEMPERATURE_LETTERS[trimmed];
    if (letter && areCommensurable(letter, 'K') && areCommensurable(expected, 'K')) return letter;
    if (COUNT_WORDS.has(trimmed.toLowerCase()) && expected.startsWith('{') && expected.endsWith('}')) return expected;
  }
  const alias = ALIASES[trimmed] ?? ALIASES[trimmed.toLowerCase()];
  if (alias) return alias;
  if (isValidUcum(trimmed)) return trimmed;
  return undefined;
}
