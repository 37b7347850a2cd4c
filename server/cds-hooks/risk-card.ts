/**
 * A CDS Hooks card from a stored RiskAssessment: the summary names the model, the score (NEWS2
 * total, or the probability) and the band; the indicator follows the risk-probability code (high
 * or certain → critical, moderate → warning, else info); the detail is the rationale, the clinical
 * response and the per-input contributions as Markdown; the link opens the exact version.
 */
import { RISK_CONTRIBUTION_URL, RISK_PROBABILITY_SYSTEM } from '../risk/risk-codes.ts';

type Json = Record<string, any>;

export interface CdsCard {
  uuid: string;
  summary: string;
  indicator: 'info' | 'warning' | 'critical';
  detail: string;
  source: { label: string; url?: string; topic?: { system: string; code: string; display?: string } };
  links: Array<{ label: string; url: string; type: 'absolute' }>;
}

const SUMMARY_MAX = 140;

function riskCode(prediction: Json | undefined): string | undefined {
  return (prediction?.qualitativeRisk?.coding as Json[] | undefined)?.find((c) => c.system === RISK_PROBABILITY_SYSTEM)?.code;
}

export function indicatorFor(assessment: Json): CdsCard['indicator'] {
  const code = riskCode(assessment.prediction?.[0]);
  if (code === 'high' || code === 'certain') return 'critical';
  if (code === 'moderate') return 'warning';
  return 'info';
}

interface ContributionRow {
  feature: string;
  value: string;
  contribution: number;
  method: string;
}

function contributions(prediction: Json | undefined): ContributionRow[] {
  return ((prediction?.extension as Json[] | undefined) ?? [])
    .filter((e) => e.url === RISK_CONTRIBUTION_URL)
    .map((e) => {
      const part = (name: string) => (e.extension as Json[]).find((x) => x.url === name) ?? {};
      const coding = part('feature').valueCoding ?? {};
      const v = part('value');
      const value = v.valueQuantity
        ? `${v.valueQuantity.value}${v.valueQuantity.unit && v.valueQuantity.unit !== '1' ? ` ${v.valueQuantity.unit}` : ''}`
        : v.valueCodeableConcept
          ? (v.valueCodeableConcept.coding?.[0]?.display ?? v.valueCodeableConcept.coding?.[0]?.code ?? '')
          : String(v.valueBoolean ?? '');
      return { feature: coding.display ?? coding.code ?? '?', value, contribution: Number(part('contribution').valueDecimal ?? 0), method: String(part('method').valueCode ?? '') };
    });
}

/** "6" for NEWS2 (its points), "12.5 %" for probabilities, "Heart rate 140 /min (+34.2 SD)" for the baseline. */
function headline(prediction: Json | undefined, rows: ContributionRow[]): string | undefined {
  if (rows.length > 0 && rows.every((r) => r.method === 'news2-points')) return String(rows.reduce((s, r) => s + r.contribution, 0));
  if (rows.length === 1 && rows[0].method === 'baseline-sd') {
    const r = rows[0];
    return `— ${r.feature} ${r.value} (${r.contribution >= 0 ? '+' : ''}${r.contribution.toFixed(1)} SD)`;
  }
  if (typeof prediction?.probabilityDecimal === 'number') return `${(prediction.probabilityDecimal * 100).toFixed(1)} %`;
  return undefined;
}

function modelLabel(assessment: Json): string {
  const text = String(assessment.method?.text ?? assessment.performer?.display ?? 'Risk model');
  const withoutVersion = text.replace(/\s+\d+\.\d+\.\d+\S*$/, '');
  // "National Early Warning Score 2 (NEWS2)" → "NEWS2"; other parentheses stay.
  const acronym = /\(([A-Z][A-Z0-9-]{1,11})\)$/.exec(withoutVersion)?.[1];
  return acronym ?? withoutVersion;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function riskCard(assessment: Json, baseUrl: string, uuid: string): CdsCard {
  const prediction = assessment.prediction?.[0];
  const rows = contributions(prediction);
  const label = modelLabel(assessment);
  const score = headline(prediction, rows);
  const band = String(prediction?.qualitativeRisk?.text ?? riskCode(prediction) ?? 'risk not stated');
  const when = String(assessment.occurrenceDateTime ?? '');
  const lines = [`**${label}${score ? ` ${score}` : ''}** — ${band}${when ? `, scored ${when}` : ''}.`];
  const windowEnd = prediction?.whenPeriod?.end;
  if (typeof windowEnd === 'string' && Date.parse(windowEnd) < Date.now()) lines.push(`_The prediction window ended ${windowEnd}; a newer score may be due._`);
  if (prediction?.rationale) lines.push(String(prediction.rationale));
  if (assessment.mitigation) lines.push(`**Response:** ${String(assessment.mitigation)}`);
  if (rows.length > 0) {
    const unit = rows[0].method === 'news2-points' ? 'Points' : rows[0].method === 'baseline-sd' ? 'SD from baseline' : 'Contribution (log-odds)';
    lines.push([`| Input | Value | ${unit} |`, '|---|---|---|', ...rows.map((r) => `| ${cell(r.feature)} | ${cell(r.value)} | ${r.contribution} |`)].join('\n'));
  }
  for (const note of (assessment.note as Json[] | undefined) ?? []) lines.push(`_${String(note.text)}_`);
  const version = assessment.meta?.versionId;
  return {
    uuid,
    summary: truncate(`${label}${score ? ` ${score}` : ''}: ${band}`, SUMMARY_MAX - 1),
    indicator: indicatorFor(assessment),
    detail: lines.join('\n\n'),
    source: { label: 'VitalChain risk scoring', url: baseUrl, ...(assessment.method?.coding?.[0] ? { topic: assessment.method.coding[0] } : {}) },
    links: [{ label: `${label} RiskAssessment`, url: `${baseUrl}/RiskAssessment/${assessment.id}${version ? `/_history/${version}` : ''}`, type: 'absolute' }],
  };
}
