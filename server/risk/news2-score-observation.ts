/**
 * The NEWS2 score as a FHIR R4 Observation: the total as valueInteger coded SNOMED CT (UK
 * 1104051000000101, international 1287358002), the seven sub-scores as components with the UK
 * NEWS2 sub-score codes, derivedFrom the exact input Observation versions, device = the model.
 */
import { NEWS2_BANDS, NEWS2_FEATURE_COUNT, type News2Band } from './news2-features.ts';
import type { News2Extraction } from './news2-inputs.ts';
import type { News2Result } from './news2-oracle.ts';
import type { ModelOutputs } from './model-runtime.ts';
import type { FhirJson } from './observation-readings.ts';
import { OBSERVATION_CATEGORY_SYSTEM, SNOMED } from './risk-codes.ts';
import { textNarrative } from './narrative.ts';

export type News2Success = Extract<News2Extraction, { ok: true }>;

/** Sub-score codes in parts order; SpO2 has one per scale. */
const PART_CODES = {
  rr: ['1104301000000104', 'NEWS2 respiration rate score'],
  spo2Scale1: ['1104311000000102', 'NEWS2 oxygen saturation scale 1 score'],
  spo2Scale2: ['1104321000000108', 'NEWS2 oxygen saturation scale 2 score'],
  airOrOxygen: ['1104331000000105', 'NEWS2 air or oxygen score'],
  sbp: ['1104341000000101', 'NEWS2 systolic blood pressure score'],
  pulse: ['1104351000000103', 'NEWS2 pulse score'],
  consciousness: ['1104361000000100', 'NEWS2 consciousness score'],
  temp: ['1104371000000107', 'NEWS2 temperature score'],
} as const;

/** Reads row `row` of the news2.onnx outputs; throws on a non-finite result (an invalid input got through). */
export function news2ScoreFromOutputs(outputs: ModelOutputs, row = 0): News2Result {
  const parts = Array.from(outputs.parts.subarray(row * 7, row * 7 + 7));
  const total = outputs.total[row];
  const band = NEWS2_BANDS[outputs.band[row]] as News2Band | undefined;
  if (!parts.every(Number.isInteger) || !Number.isInteger(total) || !band) {
    throw new Error(`news2.onnx returned a non-score for row ${row}: total ${total}, band ${outputs.band[row]}`);
  }
  return { parts: parts as News2Result['parts'], total, band };
}

export interface News2ScoreObservationInput {
  subject: string;
  encounter?: string;
  /** Scoring time. */
  effectiveDateTime: string;
  extraction: News2Success;
  score: News2Result;
  device: { reference: string; display?: string };
}

export function buildNews2ScoreObservation(input: News2ScoreObservationInput): FhirJson {
  const { score, extraction } = input;
  const spo2Code = extraction.values.scale === 2 ? PART_CODES.spo2Scale2 : PART_CODES.spo2Scale1;
  const partCodes = [PART_CODES.rr, spo2Code, PART_CODES.airOrOxygen, PART_CODES.sbp, PART_CODES.pulse, PART_CODES.consciousness, PART_CODES.temp];
  if (extraction.features.length !== NEWS2_FEATURE_COUNT) throw new Error('extraction holds more than one row');
  return {
    resourceType: 'Observation',
    text: textNarrative(`NEWS2 total score ${score.total} (${score.band} clinical risk); sub-scores RR, SpO2, air/O2, SBP, pulse, consciousness, temperature: ${score.parts.join(', ')}`),
    status: 'final',
    category: [{ coding: [{ system: OBSERVATION_CATEGORY_SYSTEM, code: 'survey', display: 'Survey' }] }],
    code: {
      coding: [
        // Displays omitted: only the codes are verified here (UK extension and international edition).
        { system: SNOMED, code: '1104051000000101' },
        { system: SNOMED, code: '1287358002' },
      ],
      text: 'NEWS2 total score',
    },
    subject: { reference: input.subject },
    ...(input.encounter ? { encounter: { reference: input.encounter } } : {}),
    effectiveDateTime: input.effectiveDateTime,
    valueInteger: score.total,
    device: input.device,
    derivedFrom: extraction.basis.map((reference) => ({ reference })),
    component: partCodes.map(([code, text], i) => ({
      code: { coding: [{ system: SNOMED, code }], text },
      valueInteger: score.parts[i],
    })),
  };
}
