/**
 * Builds the FHIR R4 RiskAssessment a model's score becomes:
 * - status (final), subject, occurrenceDateTime = scoring time, method = the card's coding,
 *   performer = the model's Device, basis = the exact input Observation versions (plus the score
 *   Observation for NEWS2);
 * - one prediction: outcome and horizon (whenPeriod) from the card, qualitativeRisk coded in
 *   http://terminology.hl7.org/CodeSystem/risk-probability plus the model's own band as a second
 *   coding, probabilityDecimal as a 0–1 fraction when the model outputs a probability, a readable
 *   rationale, and per-feature contributions in the risk-contribution extension;
 * - AI-asserted security label for learned models, and a note when not for clinical use.
 *
 * The risk-contribution extension (on RiskAssessment.prediction, one per feature), documented in
 * models/README.md:
 *   url = http://vitalchain.dev/fhir/StructureDefinition/risk-contribution
 *   extension[feature]      valueCoding    — the input's code (LOINC where one exists)
 *   extension[value]        valueQuantity | valueCodeableConcept | valueBoolean — value used
 *   extension[contribution] valueDecimal   — points (NEWS2), log-odds (linear-logit) or SD (baseline)
 *   extension[method]       valueCode      — news2-points | linear-logit | baseline-sd
 *   extension[basis]        valueReference — the Observation version the value came from (optional)
 */
import type { CardCoding, ModelCard } from './model-card.ts';
import { modelDeviceReference } from './model-device.ts';
import { durationMs } from './duration.ts';
import { RISK_CONTRIBUTION_URL, RISK_PROBABILITY_SYSTEM, UCUM } from './risk-codes.ts';
import type { FhirJson } from './observation-readings.ts';
import { textNarrative } from './narrative.ts';

export type RiskProbabilityCode = 'negligible' | 'low' | 'moderate' | 'high' | 'certain';

const RISK_DISPLAY: Record<RiskProbabilityCode, string> = {
  negligible: 'Negligible likelihood',
  low: 'Low likelihood',
  moderate: 'Moderate likelihood',
  high: 'High likelihood',
  certain: 'Certain',
};

export type ContributionValue =
  | { quantity: number; unit?: string }
  | { coding: CardCoding }
  | { boolean: boolean };

export interface Contribution {
  feature: CardCoding;
  value: ContributionValue;
  contribution: number;
  method: 'news2-points' | 'linear-logit' | 'baseline-sd';
  basis?: string;
}

export interface RiskAssessmentInput {
  card: ModelCard;
  /** e.g. `Patient/123` */
  subject: string;
  encounter?: string;
  /** Scoring time, FHIR dateTime with offset. */
  occurrenceDateTime: string;
  /** Versioned references, in order: input Observations, then any score Observation. */
  basis: string[];
  risk: RiskProbabilityCode;
  /** Second qualitativeRisk coding, e.g. the NEWS2 band. */
  band?: CardCoding;
  /** 0–1 fraction (never a percentage). */
  probability?: number;
  contributions: Contribution[];
  rationale: string;
  mitigation?: string;
  status?: 'final' | 'preliminary';
}

export function buildRiskAssessment(input: RiskAssessmentInput): FhirJson {
  const { card } = input;
  if (input.probability !== undefined && !(input.probability >= 0 && input.probability <= 1)) {
    throw new Error(`probability must be a 0–1 fraction, got ${input.probability}`);
  }
  const start = new Date(Date.parse(input.occurrenceDateTime));
  const end = new Date(start.getTime() + durationMs(card.output.horizon));
  const qualitativeRisk = {
    coding: [{ system: RISK_PROBABILITY_SYSTEM, code: input.risk, display: RISK_DISPLAY[input.risk] }, ...(input.band ? [input.band] : [])],
    text: input.band?.display ?? RISK_DISPLAY[input.risk],
  };
  const prediction: FhirJson = {
    ...(input.contributions.length > 0 ? { extension: input.contributions.map(contributionExtension) } : {}),
    outcome: card.output.outcome,
    ...(input.probability !== undefined ? { probabilityDecimal: roundTo(input.probability, 6) } : {}),
    qualitativeRisk,
    whenPeriod: { start: input.occurrenceDateTime, end: end.toISOString() },
    rationale: input.rationale,
  };
  const learned = card.kind === 'machine-learning';
  return {
    resourceType: 'RiskAssessment',
    ...(learned ? { meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'AIAST', display: 'Artificial Intelligence asserted' }] } } : {}),
    text: textNarrative(`${card.title}: ${input.rationale}`),
    status: input.status ?? 'final',
    method: { coding: [card.method], text: `${card.title} ${card.version}` },
    subject: { reference: input.subject },
    ...(input.encounter ? { encounter: { reference: input.encounter } } : {}),
    occurrenceDateTime: input.occurrenceDateTime,
    performer: modelDeviceReference(card),
    basis: input.basis.map((reference) => ({ reference })),
    prediction: [prediction],
    ...(input.mitigation ? { mitigation: input.mitigation } : {}),
    ...(card.notForClinicalUse
      ? { note: [{ text: `NOT FOR CLINICAL USE. ${card.title} ${card.version} is a demonstration model; see its model card.` }] }
      : {}),
  };
}

export function contributionExtension(c: Contribution): FhirJson {
  const value =
    'quantity' in c.value
      ? { url: 'value', valueQuantity: quantity(c.value.quantity, c.value.unit) }
      : 'coding' in c.value
        ? { url: 'value', valueCodeableConcept: { coding: [c.value.coding] } }
        : { url: 'value', valueBoolean: c.value.boolean };
  return {
    url: RISK_CONTRIBUTION_URL,
    extension: [
      { url: 'feature', valueCoding: c.feature },
      value,
      { url: 'contribution', valueDecimal: roundTo(c.contribution, 4) },
      { url: 'method', valueCode: c.method },
      ...(c.basis ? [{ url: 'basis', valueReference: { reference: c.basis } }] : []),
    ],
  };
}

function quantity(value: number, unit: string | undefined): FhirJson {
  return unit ? { value, unit, system: UCUM, code: unit } : { value };
}

export function roundTo(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}
