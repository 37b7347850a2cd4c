import { normalizeUnit } from '../../terminology/ucum.ts';
import { vitalByKey } from '../../terminology/loinc.ts';

/**
 * Open mHealth unit enums that are not UCUM (schema/omh unit-value and the temperature, mass and
 * length unit-value schemas): temperatures as single letters, mass tons and grains, lengths in
 * words. Anything else goes through the general normalizer with the vital's unit as context.
 */
const OMH_UNITS: Record<string, string> = {
  'Metric Ton': 't',
  Ton: '[ston_av]',
  gr: '[gr]',
  mi: '[mi_i]',
  yd: '[yd_i]',
  'beats/min': '/min',
  'breaths/min': '/min',
};

/** UCUM for an OMH unit string, or the string unchanged (the Observation builder reports it as invalid). */
export function omhUnit(unit: string, vital: string): string {
  return OMH_UNITS[unit] ?? normalizeUnit(unit, vitalByKey(vital)?.unit || undefined) ?? unit;
}
