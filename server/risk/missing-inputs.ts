/**
 * Why a model could not score: one OperationOutcome issue per missing feature, naming the inputs
 * that would have supplied it (title and code, LOINC where one exists) and the look-back window,
 * plus information issues for readings in the window that were present but unusable.
 */
import type { Issue } from '../fhir/outcome.ts';
import type { CardInput, ModelCard } from './model-card.ts';
import type { Incomplete } from './risk-scorer.ts';
import { LOINC } from './risk-codes.ts';
import { baselineParameters } from './baseline.ts';

function codeLabel(input: CardInput): string {
  if (input.source === 'patient-age') return 'Patient.birthDate';
  return input.codes.map((c) => (c.system === LOINC ? `LOINC ${c.code}` : `${c.system}|${c.code}`)).join(', ');
}

export function missingInputIssues(card: ModelCard, incomplete: Incomplete, at: string): Issue[] {
  if (card.extractor === 'baseline') {
    const p = baselineParameters(card);
    const signals = card.inputs.map((i) => `${i.title} (${codeLabel(i)})`).join('; ');
    return [
      {
        severity: 'error',
        code: 'incomplete',
        diagnostics: `${card.title}: no signal has a reading at ${at} with at least ${p.minReadings} earlier readings in the ${p.windowDays} days before it. Signals: ${signals}`,
      },
    ];
  }
  const issues: Issue[] = incomplete.missing.map((feature) => {
    const inputs = card.inputs.filter((i) => i.feature === feature);
    const wanted = inputs.map((i) => `${i.title} (${codeLabel(i)})`).join(' or ');
    const lookback = inputs[0]?.lookback ?? card.lookback;
    return {
      severity: 'error',
      code: 'incomplete',
      diagnostics: `${card.title} cannot be scored: missing input '${feature}': no usable ${wanted} in the ${lookback} look-back before ${at}`,
    };
  });
  for (const r of incomplete.rejected) {
    issues.push({ severity: 'information', code: 'informational', diagnostics: `${r.reference ?? 'an inline Observation'} (${r.title}) was not used: ${r.reason}` });
  }
  return issues;
}
