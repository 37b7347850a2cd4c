/**
 * Card-driven feature extraction for models whose card says `extractor: observations`: every
 * feature takes the latest usable reading of its input (codes, unit, plausible range and look-back
 * from the card), or the patient's age from Patient.birthDate. This is what lets a user-supplied
 * ONNX model with a card be scored without code changes. A missing feature means no score.
 */
import { durationMs } from './duration.ts';
import type { CardInput, ModelCard } from './model-card.ts';
import { latestReading, ObservationIndex, versionedReference, type FhirJson, type Reading, type RejectedReading } from './observation-readings.ts';

export interface FeatureUse {
  feature: string;
  input: CardInput;
  value: number;
  /** The reading used (observation inputs). */
  reading?: Reading;
  /** Versioned reference of the resource the value came from. */
  reference?: string;
}

export type CardExtraction =
  | { ok: true; features: Float32Array; used: FeatureUse[]; basis: string[]; rejected: RejectedReading[] }
  | { ok: false; missing: string[]; used: FeatureUse[]; rejected: RejectedReading[] };

export function extractCardInputs(card: ModelCard, resources: readonly FhirJson[], at: Date | string): CardExtraction {
  const atMs = typeof at === 'string' ? Date.parse(at) : at.getTime();
  if (Number.isNaN(atMs)) throw new Error(`invalid scoring time: ${String(at)}`);
  const used: FeatureUse[] = [];
  const rejected: RejectedReading[] = [];
  const missing: string[] = [];
  const index = new ObservationIndex(resources);
  for (const feature of card.features) {
    let best: FeatureUse | undefined;
    for (const input of card.inputs.filter((i) => i.feature === feature.name)) {
      const use = input.source === 'patient-age' ? ageUse(input, resources, atMs, rejected) : observationUse(card, input, index, atMs, rejected);
      if (use && (!best || (use.reading?.time ?? 0) > (best.reading?.time ?? 0))) best = use;
    }
    if (best) used.push(best);
    else missing.push(feature.name);
  }
  if (missing.length > 0) return { ok: false, missing, used, rejected };
  const features = Float32Array.from(used.map((u) => u.value));
  const basis = [...new Set(used.map((u) => u.reference).filter((r): r is string => !!r))];
  return { ok: true, features, used, basis, rejected };
}

function observationUse(card: ModelCard, input: CardInput, index: ObservationIndex, at: number, rejected: RejectedReading[]): FeatureUse | undefined {
  const choice = latestReading(index, input, at, durationMs(input.lookback ?? card.lookback));
  rejected.push(...choice.rejected);
  const r = choice.reading;
  return r && { feature: input.feature, input, value: r.value, reading: r, reference: r.reference };
}

/** Whole years from Patient.birthDate (YYYY, YYYY-MM or YYYY-MM-DD) to the scoring time. */
export function ageInYears(birthDate: string, at: number): number | undefined {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(birthDate);
  if (!m) return undefined;
  const when = new Date(at);
  // A partial birthDate counts from the first day of its year or month, so the age may be up to a
  // year too high for YYYY alone; model features in whole years tolerate that.
  const year = Number(m[1]);
  const month = m[2] ? Number(m[2]) - 1 : 0;
  const day = m[3] ? Number(m[3]) : 1;
  let age = when.getUTCFullYear() - year;
  if (when.getUTCMonth() < month || (when.getUTCMonth() === month && when.getUTCDate() < day)) age--;
  return age;
}

function ageUse(input: CardInput, resources: readonly FhirJson[], at: number, rejected: RejectedReading[]): FeatureUse | undefined {
  const patient = resources.find((r) => r.resourceType === 'Patient');
  if (!patient) return undefined;
  const reference = versionedReference(patient);
  const age = typeof patient.birthDate === 'string' ? ageInYears(patient.birthDate, at) : undefined;
  if (age === undefined) {
    rejected.push({ reference, title: input.title, reason: 'no usable birthDate' });
    return undefined;
  }
  if ((input.min !== undefined && age < input.min) || (input.max !== undefined && age > input.max)) {
    rejected.push({ reference, title: input.title, reason: `age ${age} is outside ${input.min ?? 0}..${input.max ?? '∞'}` });
    return undefined;
  }
  return { feature: input.feature, input, value: age, reference };
}
