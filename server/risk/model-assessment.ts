/**
 * RiskAssessment for card-driven models (extractor `observations`): probability or score from the
 * card's output tensor, qualitative risk from the card's bands, and — for linear models — exact
 * per-feature contributions w·(x − reference) in log-odds, with the weights read from the ONNX
 * initializer and the reference (training means) from the card.
 */
import type { CardExtraction } from './card-inputs.ts';
import type { CardCoding, ModelCard } from './model-card.ts';
import type { RegisteredModel } from './model-registry.ts';
import type { ModelOutputs } from './model-runtime.ts';
import type { FhirJson } from './observation-readings.ts';
import { buildRiskAssessment, type Contribution, type RiskProbabilityCode } from './risk-assessment.ts';
import { MODEL_FEATURE_SYSTEM } from './risk-codes.ts';

export type CardSuccess = Extract<CardExtraction, { ok: true }>;

/** The first band whose `below` exceeds the value; the last band otherwise. */
export function qualitativeRisk(card: ModelCard, value: number): RiskProbabilityCode {
  const bands = card.output.bands;
  if (!bands?.length) throw new Error(`card ${card.id} has no output bands`);
  return (bands.find((b) => b.below !== undefined && value < b.below) ?? bands[bands.length - 1]).risk;
}

function featureCoding(use: CardSuccess['used'][number]): CardCoding {
  return use.reading?.code ?? use.input.codes[0] ?? { system: MODEL_FEATURE_SYSTEM, code: use.feature, display: use.input.title };
}

/** Log-odds contributions w_i·(x_i − reference_i); empty unless the card declares a linear-logit explanation. */
export function linearContributions(model: RegisteredModel, extraction: CardSuccess): Contribution[] {
  const { card, explanationWeights } = model;
  if (card.explanation?.method !== 'linear-logit' || !explanationWeights) return [];
  const reference = card.explanation.reference ?? card.features.map(() => 0);
  return extraction.used.map((use, i) => ({
    feature: featureCoding(use),
    value: { quantity: use.value, unit: use.input.unit },
    contribution: explanationWeights[i] * (use.value - reference[i]),
    method: 'linear-logit' as const,
    basis: use.reference,
  }));
}

function rationale(card: ModelCard, value: number, risk: RiskProbabilityCode, contributions: Contribution[], extraction: CardSuccess): string {
  const head =
    card.output.kind === 'probability'
      ? `Probability ${(100 * value).toFixed(1)} % (${risk}) of: ${card.output.outcome.text ?? 'the outcome'}.`
      : `Score ${value} (${risk}).`;
  const parts = [head];
  if (contributions.length > 0) {
    const titles = new Map(extraction.used.map((u) => [u.feature, u.input.title]));
    const top = contributions
      .map((c, i) => ({ c, title: titles.get(extraction.used[i].feature) ?? c.feature.code }))
      .sort((a, b) => Math.abs(b.c.contribution) - Math.abs(a.c.contribution))
      .slice(0, 3)
      .map(({ c, title }) => {
        const shown = 'quantity' in c.value ? `${c.value.quantity}${c.value.unit && c.value.unit !== '1' ? ` ${c.value.unit}` : ''}` : '';
        return `${title} ${shown} ${c.contribution >= 0 ? '+' : '−'}${Math.abs(c.contribution).toFixed(2)}`;
      });
    parts.push(`Largest contributions (log-odds against the training mean): ${top.join(', ')}.`);
  }
  if (card.notForClinicalUse) parts.push('NOT FOR CLINICAL USE.');
  return parts.join(' ');
}

export interface ModelAssessmentInput {
  model: RegisteredModel;
  subject: string;
  encounter?: string;
  occurrenceDateTime: string;
  extraction: CardSuccess;
  outputs: ModelOutputs;
  row?: number;
}

export function buildModelRiskAssessment(input: ModelAssessmentInput): FhirJson {
  const { card } = input.model;
  const tensor = card.output.tensor;
  const value = tensor ? input.outputs[tensor]?.[input.row ?? 0] : undefined;
  if (value === undefined || !Number.isFinite(value)) throw new Error(`model ${card.id} gave no finite ${tensor ?? 'output'}`);
  const risk = qualitativeRisk(card, value);
  const contributions = linearContributions(input.model, input.extraction);
  return buildRiskAssessment({
    card,
    subject: input.subject,
    encounter: input.encounter,
    occurrenceDateTime: input.occurrenceDateTime,
    basis: input.extraction.basis,
    risk,
    probability: card.output.kind === 'probability' ? value : undefined,
    contributions,
    rationale: rationale(card, value, risk, contributions, input.extraction),
  });
}
