/**
 * The resources a score becomes, with their deterministic ids: NEWS2 gives a score Observation
 * and a RiskAssessment whose basis ends with that Observation's version; other models give a
 * RiskAssessment. The score Observation's version is supplied by the caller, who knows what the
 * store holds (see score-writer.ts).
 */
import { buildBaselineRiskAssessment } from './baseline.ts';
import { buildModelRiskAssessment } from './model-assessment.ts';
import { modelDeviceReference } from './model-device.ts';
import { buildNews2RiskAssessment } from './news2-assessment.ts';
import { buildNews2ScoreObservation } from './news2-score-observation.ts';
import type { FhirJson } from './observation-readings.ts';
import type { Score } from './risk-scorer.ts';
import { scoreResourceId } from './scoring-ids.ts';

export interface ScoreResources {
  score: Score;
  /** The NEWS2 score Observation (with id), when the model has one. */
  observation?: FhirJson;
  assessment: FhirJson;
}

/** The score Observation (with its id), or undefined for models without one. */
export function scoreObservation(score: Score): FhirJson | undefined {
  if (score.kind !== 'news2') return undefined;
  const { card } = score.model;
  const id = scoreResourceId(card, score.patient, score.extraction.basis, score.extraction.scale2Evidence ?? '');
  const observation = buildNews2ScoreObservation({
    subject: `Patient/${score.patient}`,
    effectiveDateTime: score.occurrence,
    extraction: score.extraction,
    score: score.result,
    device: modelDeviceReference(card),
  });
  return { resourceType: 'Observation', id, ...withoutType(observation) };
}

/** The RiskAssessment (with its id); `observationReference` is the score Observation's versioned reference (NEWS2). */
export function scoreAssessment(score: Score, observationReference?: string): FhirJson {
  const { card } = score.model;
  const subject = `Patient/${score.patient}`;
  let assessment: FhirJson;
  let id: string;
  switch (score.kind) {
    case 'news2':
      if (!observationReference) throw new Error('a NEWS2 RiskAssessment needs its score Observation');
      id = scoreResourceId(card, score.patient, score.extraction.basis, score.extraction.scale2Evidence ?? '');
      assessment = buildNews2RiskAssessment({ card, subject, occurrenceDateTime: score.occurrence, extraction: score.extraction, score: score.result, scoreObservation: observationReference });
      break;
    case 'card':
      id = scoreResourceId(card, score.patient, score.extraction.basis);
      assessment = buildModelRiskAssessment({ model: score.model, subject, occurrenceDateTime: score.occurrence, extraction: score.extraction, outputs: score.outputs, row: score.row });
      break;
    case 'baseline': {
      assessment = buildBaselineRiskAssessment(card, score.finding, subject);
      id = scoreResourceId(card, score.patient, (assessment.basis as Array<{ reference: string }>).map((b) => b.reference), score.finding.signal);
      break;
    }
  }
  return { resourceType: 'RiskAssessment', id, ...withoutType(assessment) };
}

function withoutType(resource: FhirJson): FhirJson {
  const { resourceType: _type, id: _id, ...rest } = resource;
  return rest;
}
