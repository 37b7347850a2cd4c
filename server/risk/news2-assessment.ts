/**
 * The NEWS2 RiskAssessment: the score's band as qualitative risk (risk-probability code plus the
 * NEWS2 band), chart points per parameter as contributions, a rationale a nurse can read, and the
 * RCP chart 4 response as mitigation. basis = the input Observation versions, then the score
 * Observation.
 */
import type { ModelCard } from './model-card.ts';
import type { News2Feature } from './news2-features.ts';
import type { News2Result } from './news2-oracle.ts';
import type { News2Success } from './news2-score-observation.ts';
import { buildRiskAssessment, type Contribution, type RiskProbabilityCode } from './risk-assessment.ts';
import type { FhirJson } from './observation-readings.ts';

/** RCP chart 4: clinical response per band (paraphrased; © RCP). */
export function news2Response(score: News2Result): string {
  switch (score.band) {
    case 'high':
      return 'Emergency response (NEWS2 7 or more): registered nurse informs the medical team immediately; emergency assessment by a team with critical-care competencies; consider transfer to level 2/3 care; continuous monitoring.';
    case 'medium':
      return 'Urgent response threshold (NEWS2 5-6): registered nurse informs the medical team immediately; urgent assessment by a clinician competent in acute illness; monitoring at least hourly.';
    case 'low-medium':
      return 'Red score (3 in a single parameter): registered nurse informs the medical team, who review urgently on the ward and decide whether to escalate care; monitoring at least hourly.';
    default:
      return score.total === 0
        ? 'Routine monitoring at least every 12 hours.'
        : 'Registered nurse assesses and decides whether monitoring frequency or care must increase; monitoring at least every 4-6 hours.';
  }
}

/** Parameter order of the graph's parts output, with the feature each one scores. */
const PART_FEATURES: Array<[News2Feature, string]> = [
  ['rr', 'respiratory rate'],
  ['spo2', 'SpO2'],
  ['on_oxygen', 'air or oxygen'],
  ['sbp', 'systolic BP'],
  ['pulse', 'pulse'],
  ['consciousness', 'consciousness'],
  ['temp', 'temperature'],
];

export function news2Contributions(extraction: News2Success, score: News2Result): Contribution[] {
  return PART_FEATURES.map(([feature], i) => {
    const use = extraction.used.find((u) => u.feature === feature)!;
    const r = use.reading;
    return {
      feature: r.code,
      value: r.answer ? { coding: r.answer } : { quantity: r.value, unit: r.unit },
      contribution: score.parts[i],
      method: 'news2-points' as const,
      basis: r.reference,
    };
  });
}

/** "NEWS2 6, medium clinical risk. Points: respiratory rate 22 /min +2, … Scored 0: …" */
export function news2Rationale(extraction: News2Success, score: News2Result): string {
  const v = extraction.values;
  const shown: Record<News2Feature, string> = {
    rr: `${v.rr} /min`,
    spo2: `${v.spo2} % (scale ${v.scale})`,
    on_oxygen: v.onOxygen ? 'on oxygen' : 'on air',
    sbp: `${v.sbp} mmHg`,
    pulse: `${v.pulse} /min`,
    consciousness: v.notAlert ? (extraction.used.find((u) => u.feature === 'consciousness')?.reading.recorded ?? 'not alert') : 'alert',
    temp: `${v.temp.toFixed(1)} °C`,
    scale: '',
  };
  const scored = PART_FEATURES.map(([f, name], i) => ({ text: `${name} ${shown[f]}`, points: score.parts[i] }));
  const positive = scored.filter((s) => s.points > 0).sort((a, b) => b.points - a.points);
  const zero = scored.filter((s) => s.points === 0);
  const bandText = { low: 'low', 'low-medium': 'low-medium', medium: 'medium', high: 'high' }[score.band];
  const parts = [`NEWS2 ${score.total}, ${bandText} clinical risk.`];
  if (positive.length) parts.push(`Points: ${positive.map((s) => `${s.text} +${s.points}`).join(', ')}.`);
  if (zero.length) parts.push(`Scored 0: ${zero.map((s) => s.text).join(', ')}.`);
  if (v.scale === 2) parts.push(`SpO2 scale 2 per ${extraction.scale2Evidence}.`);
  return parts.join(' ');
}

export interface News2AssessmentInput {
  card: ModelCard;
  subject: string;
  encounter?: string;
  occurrenceDateTime: string;
  extraction: News2Success;
  score: News2Result;
  /** Reference of the score Observation (versioned once written, or a urn:uuid inside a transaction). */
  scoreObservation: string;
}

export function buildNews2RiskAssessment(input: News2AssessmentInput): FhirJson {
  const { card, score } = input;
  const label = card.output.bandLabels?.find((b) => b.code === score.band);
  if (!label || !card.output.bandSystem) throw new Error(`card ${card.id} has no band label for ${score.band}`);
  return buildRiskAssessment({
    card,
    subject: input.subject,
    encounter: input.encounter,
    occurrenceDateTime: input.occurrenceDateTime,
    basis: [...input.extraction.basis, input.scoreObservation],
    risk: label.risk as RiskProbabilityCode,
    band: { system: card.output.bandSystem, code: label.code, display: label.display },
    contributions: news2Contributions(input.extraction, score),
    rationale: news2Rationale(input.extraction, score),
    mitigation: news2Response(score),
  });
}
