/**
 * The patient's current RiskAssessments, one per model (and per signal for single-feature
 * models such as the personal baseline): from the prefetch when the client sent it, else read
 * from this server through the FHIR router, so the authorization seam applies as for any search.
 */
import type { InteractionContext } from '../fhir/context.ts';
import { route } from '../fhir/router.ts';
import type { FhirResponse } from '../fhir/request.ts';
import { RISK_CONTRIBUTION_URL } from '../risk/risk-codes.ts';

type Json = Record<string, any>;

/** Prefetch templates this service asks for (discovery). */
export const PREFETCH = {
  patient: 'Patient/{{context.patientId}}',
  riskAssessments: 'RiskAssessment?subject=Patient/{{context.patientId}}&_sort=-date&_count=50',
} as const;

const SHOWN_STATUS = new Set(['final', 'amended', 'corrected', 'preliminary']);

function bodyOf(response: FhirResponse): Json | undefined {
  if (!response.body) return undefined;
  return 'json' in response.body ? (JSON.parse(response.body.json) as Json) : (response.body.resource as Json);
}

async function get(ctx: InteractionContext, path: string, query: Array<[string, string]> = []): Promise<Json | undefined> {
  try {
    const response = await route(ctx, { method: 'GET', path, query, headers: {} });
    return response.status === 200 ? bodyOf(response) : undefined;
  } catch (error) {
    if (error && typeof error === 'object' && 'status' in error && (error as { status: number }).status === 404) return undefined;
    throw error;
  }
}

/** Patient resource, or undefined when the patient is unknown (prefetch null or an OperationOutcome). */
export async function patientFor(ctx: InteractionContext, patientId: string, prefetch: Json | undefined): Promise<Json | undefined> {
  if (prefetch && 'patient' in prefetch) return prefetch.patient?.resourceType === 'Patient' ? prefetch.patient : undefined;
  return get(ctx, `Patient/${patientId}`);
}

export async function assessmentsFor(ctx: InteractionContext, patientId: string, prefetch: Json | undefined): Promise<Json[]> {
  let bundle: Json | undefined;
  if (prefetch && 'riskAssessments' in prefetch) bundle = prefetch.riskAssessments ?? undefined;
  else bundle = await get(ctx, 'RiskAssessment', [['subject', `Patient/${patientId}`], ['_sort', '-date'], ['_count', '50']]);
  if (bundle?.resourceType !== 'Bundle') return [];
  return ((bundle.entry as Json[] | undefined) ?? []).map((e) => e.resource).filter((r): r is Json => r?.resourceType === 'RiskAssessment');
}

function modelKey(assessment: Json): string {
  const method = ((assessment.method?.coding as Json[] | undefined) ?? []).map((c) => `${c.system}|${c.code}`).join(',');
  const features = ((assessment.prediction?.[0]?.extension as Json[] | undefined) ?? [])
    .filter((e) => e.url === RISK_CONTRIBUTION_URL)
    .map((e) => {
      const coding = (e.extension as Json[]).find((x) => x.url === 'feature')?.valueCoding ?? {};
      return `${coding.system}|${coding.code}`;
    })
    .sort()
    .join(',');
  return `${method}#${features}`;
}

const time = (a: Json) => Date.parse(String(a.occurrenceDateTime ?? a.meta?.lastUpdated ?? '')) || 0;

/** Newest assessment per model, newest first. The prefetch may come in any order. */
export function latestPerModel(assessments: readonly Json[], subject: string): Json[] {
  const sorted = assessments
    .filter((a) => SHOWN_STATUS.has(String(a.status)) && (a.subject?.reference === subject || String(a.subject?.reference ?? '').endsWith(`/${subject}`)))
    .sort((a, b) => time(b) - time(a) || String(b.meta?.lastUpdated ?? '').localeCompare(String(a.meta?.lastUpdated ?? '')));
  const seen = new Set<string>();
  return sorted.filter((a) => {
    const key = modelKey(a);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
