/**
 * NEWS2 feature extraction: from a patient's recent resources (Observations, plus the Conditions
 * and Flags that decide the SpO2 scale) to the feature vector of news2.onnx and the exact input
 * versions it used — or the list of inputs that are missing, in which case there is no score.
 *
 * Rules (the card's `inputs` hold codes, units, plausible ranges and the look-back window):
 * - each input takes its latest usable reading in (at − look-back, at]; the window defaults to the
 *   card's `lookback` (24 h);
 * - oxygen: the latest of 3151-8 flow (> 0 L/min = oxygen) and 3150-0 concentration (> 21 % =
 *   oxygen), as their own Observations or as components (US Core pulse oximetry);
 * - consciousness: 67775-7 answers, alert = 0, confused/voice/pain/unresponsive = 1;
 * - SpO2 scale 2 only when the record says so (see spo2Scale);
 * - values are rounded to chart resolution before they reach the graph (roundNews2Values).
 */
import { durationMs } from './duration.ts';
import type { CardInput, ModelCard } from './model-card.ts';
import { NEWS2_FEATURE_COUNT, roundNews2Values, writeNews2Row, type News2Feature, type News2Values } from './news2-features.ts';
import {
  latestReading,
  ObservationIndex,
  matchingCoding,
  versionedReference,
  type FhirJson,
  type Reading,
  type RejectedReading,
} from './observation-readings.ts';
import { RISK_FLAG_SYSTEM } from './risk-codes.ts';

export interface News2InputUse {
  feature: News2Feature;
  title: string;
  reading: Reading;
}

export type News2Extraction =
  | {
      ok: true;
      /** Rounded to chart resolution. */
      values: News2Values;
      /** One row, NEWS2_FEATURES layout. */
      features: Float32Array;
      used: News2InputUse[];
      /** Versioned references of every Observation used, without duplicates, in feature order. */
      basis: string[];
      /** Why scale 2 applies (the Condition or Flag), absent for scale 1. */
      scale2Evidence?: string;
      rejected: RejectedReading[];
    }
  | { ok: false; missing: News2Feature[]; used: News2InputUse[]; rejected: RejectedReading[] };

const OBSERVED: Array<Exclude<News2Feature, 'scale'>> = ['rr', 'spo2', 'on_oxygen', 'sbp', 'pulse', 'consciousness', 'temp'];

export function extractNews2Inputs(card: ModelCard, resources: readonly FhirJson[], at: Date | string): News2Extraction {
  const atMs = typeof at === 'string' ? Date.parse(at) : at.getTime();
  if (Number.isNaN(atMs)) throw new Error(`invalid scoring time: ${String(at)}`);
  const used: News2InputUse[] = [];
  const rejected: RejectedReading[] = [];
  const missing: News2Feature[] = [];
  const value = {} as Record<Exclude<News2Feature, 'scale'>, number>;
  const index = new ObservationIndex(resources);

  for (const feature of OBSERVED) {
    let best: { input: CardInput; reading: Reading } | undefined;
    for (const input of card.inputs.filter((i) => i.feature === feature && i.source === 'observation')) {
      const choice = latestReading(index, input, atMs, durationMs(input.lookback ?? card.lookback));
      rejected.push(...choice.rejected);
      if (choice.reading && (!best || choice.reading.time > best.reading.time)) best = { input, reading: choice.reading };
    }
    if (!best) {
      missing.push(feature);
      continue;
    }
    used.push({ feature, title: best.input.title, reading: best.reading });
    value[feature] = feature === 'on_oxygen' ? onOxygen(best.input, best.reading) : best.reading.value;
  }
  if (missing.length > 0) return { ok: false, missing, used, rejected };

  const scaleInput = card.inputs.find((i) => i.feature === 'scale' && i.source === 'patient-record');
  const scale2Evidence = scaleInput ? spo2Scale2Evidence(resources, scaleInput, atMs) : undefined;
  const values = roundNews2Values({
    rr: value.rr,
    spo2: value.spo2,
    onOxygen: value.on_oxygen === 1,
    sbp: value.sbp,
    pulse: value.pulse,
    notAlert: value.consciousness === 1,
    temp: value.temp,
    scale: scale2Evidence ? 2 : 1,
  });
  const features = new Float32Array(NEWS2_FEATURE_COUNT);
  writeNews2Row(features, 0, values);
  const basis = [...new Set(used.map((u) => u.reading.reference).filter((r): r is string => !!r))];
  return { ok: true, values, features, used, basis, scale2Evidence, rejected };
}

/** 3151-8 flow > 0 L/min, or 3150-0 concentration > 21 %, means supplemental oxygen. */
function onOxygen(input: CardInput, reading: Reading): number {
  const airAtMost = input.unit === '%' ? 21 : 0;
  return reading.value > airAtMost ? 1 : 0;
}

const ACTIVE_CLINICAL = new Set(['active', 'recurrence', 'relapse']);

/**
 * SpO2 scale 2 needs a clinician's documented decision (RCP: confirmed hypercapnic respiratory
 * failure). The record says so when it holds, at the scoring time:
 * - a Condition coded as hypercapnic respiratory failure (the scale input's codes), with
 *   verificationStatus `confirmed`, clinicalStatus active/recurrence/relapse, onset not after and
 *   abatement not before the scoring time; or
 * - an active Flag coded risk-flag#spo2-scale-2 whose period covers the scoring time.
 * Returns the evidence's reference (or a description), undefined for scale 1.
 */
export function spo2Scale2Evidence(resources: readonly FhirJson[], input: CardInput, at: number): string | undefined {
  for (const r of resources) {
    if (!matchingCoding(r.code, input.codes)) continue;
    if (r.resourceType === 'Condition' && conditionHolds(r, at)) return versionedReference(r) ?? 'Condition (inline)';
    if (r.resourceType === 'Flag' && flagHolds(r, at)) return versionedReference(r) ?? 'Flag (inline)';
  }
  return undefined;
}

function conditionHolds(c: FhirJson, at: number): boolean {
  const clinical = (c.clinicalStatus as FhirJson | undefined)?.coding as FhirJson[] | undefined;
  const verification = (c.verificationStatus as FhirJson | undefined)?.coding as FhirJson[] | undefined;
  if (!clinical?.some((k) => ACTIVE_CLINICAL.has(String(k.code)))) return false;
  if (!verification?.some((k) => k.code === 'confirmed')) return false;
  const onset = typeof c.onsetDateTime === 'string' ? Date.parse(c.onsetDateTime) : undefined;
  const abated = typeof c.abatementDateTime === 'string' ? Date.parse(c.abatementDateTime) : undefined;
  return !(onset !== undefined && onset > at) && !(abated !== undefined && abated <= at);
}

function flagHolds(f: FhirJson, at: number): boolean {
  if (f.status !== 'active') return false;
  if (!matchingCoding(f.code, [{ system: RISK_FLAG_SYSTEM, code: 'spo2-scale-2' }])) return false;
  const period = f.period as FhirJson | undefined;
  const start = typeof period?.start === 'string' ? Date.parse(period.start) : undefined;
  const end = typeof period?.end === 'string' ? Date.parse(period.end) : undefined;
  return !(start !== undefined && start > at) && !(end !== undefined && end <= at);
}
