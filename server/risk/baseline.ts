/**
 * Personal-baseline model: is this reading abnormal *for this patient*? The baseline of a signal
 * (heart rate, glucose, systolic BP — the card's features) is the mean and sample standard
 * deviation of the patient's own usable readings in the `windowDays` before the reading; the
 * reading is flagged at `flagAtSd` standard deviations or more. Each finding explains itself:
 * "HR 128/min, 3.4 SD above her 14-day baseline 74 ± 16".
 *
 * TypeScript rather than ONNX: the model is the choice of each patient's variable-length history
 * (codes, statuses, window, the reading itself left out); what remains is a mean, an SD and a
 * division, which a fixed-shape graph would only obscure. The card (models/baseline/card.json)
 * carries every parameter, and its sha256 identifies the model in its Device.
 */
import { z } from 'zod';
import type { CardInput, ModelCard } from './model-card.ts';
import { effectiveTime, latestReading, ObservationIndex, readingsInWindow, versionedReference, type FhirJson, type Reading } from './observation-readings.ts';
import { buildRiskAssessment, roundTo, type RiskProbabilityCode } from './risk-assessment.ts';
import { qualitativeRisk } from './model-assessment.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

const parametersSchema = z.object({
  windowDays: z.number().positive(),
  flagAtSd: z.number().positive(),
  minReadings: z.number().int().min(2),
  signals: z.record(z.string(), z.object({ label: z.string(), unitText: z.string(), decimals: z.number().int().min(0), sdFloor: z.number().positive() })),
});
export type BaselineParameters = z.infer<typeof parametersSchema>;

export function baselineParameters(card: ModelCard): BaselineParameters {
  const parameters = parametersSchema.parse(card.parameters);
  for (const f of card.features) if (!parameters.signals[f.name]) throw new Error(`card ${card.id}: no signal parameters for ${f.name}`);
  return parameters;
}

export interface BaselineFinding {
  signal: string;
  reading: Reading;
  baseline: { mean: number; sd: number; n: number; windowDays: number; references: string[] };
  /** (value − mean) / sd, with the SD floored. */
  z: number;
  flagged: boolean;
  explanation: string;
}

function pronoun(resources: readonly FhirJson[]): string {
  const gender = resources.find((r) => r.resourceType === 'Patient')?.gender;
  return gender === 'female' ? 'her' : gender === 'male' ? 'his' : 'their';
}

function withUnit(value: string, unitText: string): string {
  return unitText.startsWith('/') ? `${value}${unitText}` : `${value} ${unitText}`;
}

/**
 * Assesses one reading against the patient's baseline just before it. Returns undefined when the
 * baseline has fewer than minReadings readings.
 */
export function assessAgainstBaseline(
  card: ModelCard,
  input: CardInput,
  reading: Reading,
  resources: readonly FhirJson[],
  index?: ObservationIndex,
): BaselineFinding | undefined {
  const p = baselineParameters(card);
  const signal = p.signals[input.feature];
  const { readings } = readingsInWindow(index ?? resources, input, reading.time, p.windowDays * DAY_MS);
  const history = readings.filter((r) => r.observation !== reading.observation && r.time < reading.time);
  if (history.length < p.minReadings) return undefined;
  const mean = history.reduce((s, r) => s + r.value, 0) / history.length;
  const variance = history.reduce((s, r) => s + (r.value - mean) ** 2, 0) / (history.length - 1);
  const sd = Math.sqrt(variance);
  const z = (reading.value - mean) / Math.max(sd, signal.sdFloor);
  const fmt = (v: number) => v.toFixed(signal.decimals);
  const direction = z >= 0 ? 'above' : 'below';
  const explanation =
    `${signal.label} ${withUnit(fmt(reading.value), signal.unitText)}, ${Math.abs(z).toFixed(1)} SD ${direction} ` +
    `${pronoun(resources)} ${p.windowDays}-day baseline ${fmt(mean)} ± ${fmt(sd)}`;
  return {
    signal: input.feature,
    reading,
    baseline: { mean, sd, n: history.length, windowDays: p.windowDays, references: history.map((r) => r.reference).filter((r): r is string => !!r) },
    z,
    flagged: Math.abs(z) >= p.flagAtSd,
    explanation,
  };
}

/**
 * Findings for one Observation (a new reading as the outbox delivers it): one per baseline signal
 * the Observation carries (e.g. a blood-pressure panel's systolic). `history` holds the patient's
 * other resources (Observations, and the Patient for the pronoun).
 */
export function assessObservation(card: ModelCard, observation: FhirJson, history: readonly FhirJson[]): BaselineFinding[] {
  const time = effectiveTime(observation);
  if (time === undefined) return [];
  const findings: BaselineFinding[] = [];
  for (const input of card.inputs) {
    const own = readingsInWindow([observation], input, time, 1).readings[0];
    if (!own) continue;
    const finding = assessAgainstBaseline(card, input, own, [observation, ...history]);
    if (finding) findings.push(finding);
  }
  return findings;
}

/** Findings for the latest reading of every signal at `at`. */
export function assessLatest(card: ModelCard, resources: readonly FhirJson[], at: Date | string): BaselineFinding[] {
  const atMs = typeof at === 'string' ? Date.parse(at) : at.getTime();
  const p = baselineParameters(card);
  const findings: BaselineFinding[] = [];
  // One index of the patient's Observations for every signal and its baseline.
  const index = new ObservationIndex(resources);
  for (const input of card.inputs) {
    const latest = latestReading(index, input, atMs, p.windowDays * DAY_MS).reading;
    const finding = latest && assessAgainstBaseline(card, input, latest, resources, index);
    if (finding) findings.push(finding);
  }
  return findings;
}

/** RiskAssessment for one finding: qualitative risk from |z| (card bands), z as the contribution, the explanation as rationale. */
export function buildBaselineRiskAssessment(card: ModelCard, finding: BaselineFinding, subject: string, encounter?: string): FhirJson {
  const risk: RiskProbabilityCode = qualitativeRisk(card, Math.abs(finding.z));
  const occurrence = new Date(finding.reading.time).toISOString();
  const reference = finding.reading.reference ?? versionedReference(finding.reading.observation);
  return buildRiskAssessment({
    card,
    subject,
    encounter,
    occurrenceDateTime: occurrence,
    basis: [...(reference ? [reference] : []), ...finding.baseline.references],
    risk,
    contributions: [
      {
        feature: finding.reading.code,
        value: { quantity: roundTo(finding.reading.value, 2), unit: finding.reading.unit },
        contribution: finding.z,
        method: 'baseline-sd',
        basis: reference,
      },
    ],
    rationale: `${finding.explanation}${finding.flagged ? ' (flagged)' : ''}. Baseline from ${finding.baseline.n} readings.`,
  });
}
