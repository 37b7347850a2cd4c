import { createRequire } from 'node:module';

/** The LOINC subset the device mappings emit (vital signs plus glucose, CGM, steps); see loinc-vital-signs.json. */
export const LOINC_SYSTEM = 'http://loinc.org';
export const OBSERVATION_CATEGORY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/observation-category';

export interface VitalComponent {
  name: string;
  loinc?: string;
  display?: string;
  required?: boolean;
}

export interface VitalSign {
  key: string;
  loinc: string;
  display: string;
  /** R4 vital-signs profile the Observation must conform to; absent for non-vital codes (glucose, steps). */
  profile?: string;
  category: 'vital-signs' | 'laboratory' | 'activity';
  /** UCUM codes the profile allows (empty: no value). */
  units: string[];
  /** Preferred UCUM code. */
  unit: string;
  unitDisplay?: string;
  extraLoinc?: { code: string; display: string }[];
  components?: VitalComponent[];
}

const require = createRequire(import.meta.url);
const data = require('./loinc-vital-signs.json') as { vitals: VitalSign[] };

const byKey = new Map(data.vitals.map((vital) => [vital.key, vital]));
const byCode = new Map<string, VitalSign>();
for (const vital of data.vitals) {
  byCode.set(vital.loinc, vital);
  for (const extra of vital.extraLoinc ?? []) if (!byCode.has(extra.code)) byCode.set(extra.code, vital);
}
const componentCodes = new Map<string, { vital: VitalSign; component: VitalComponent }>();
for (const vital of data.vitals) {
  for (const component of vital.components ?? []) if (component.loinc) componentCodes.set(component.loinc, { vital, component });
}

export function vitalSigns(): readonly VitalSign[] {
  return data.vitals;
}

export function vitalByKey(key: string): VitalSign | undefined {
  return byKey.get(key);
}

/** The entry whose primary (or additional) LOINC code this is. */
export function vitalByLoinc(code: string): VitalSign | undefined {
  return byCode.get(code);
}

/** Blood-pressure component codes (8480-6, 8462-4) resolve to their panel and component. */
export function componentByLoinc(code: string): { vital: VitalSign; component: VitalComponent } | undefined {
  return componentCodes.get(code);
}

export function categoryConcept(category: VitalSign['category']) {
  const display = category === 'vital-signs' ? 'Vital Signs' : category === 'laboratory' ? 'Laboratory' : 'Activity';
  return { coding: [{ system: OBSERVATION_CATEGORY_SYSTEM, code: category, display }] };
}
