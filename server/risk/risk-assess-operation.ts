/**
 * POST [base]/Patient/[id]/$risk-assess?model=<id>: scores one model for one patient on demand.
 *
 * In (query or Parameters): `model` (default news2), `at` (scoring time, default now — or the
 * newest inline Observation if later), `observation` (0..*: inline Observations for a what-if
 * answer). Out: Parameters with `riskAssessment` (1..*) and, for NEWS2, `scoreObservation`.
 * Without inline Observations the score is written through the write path, under the same ids
 * the outbox consumer would use (so it is idempotent). With them it is a what-if answer: the
 * resources as they would be written, inline Observations contained, a note saying so, and
 * nothing stored. Missing inputs answer 422 with one issue per missing input.
 */
import type { InteractionContext } from '../fhir/context.ts';
import { validateOrThrow } from '../fhir/interactions/resource-input.ts';
import { badRequest, FhirError, notFound, notSupported } from '../fhir/outcome.ts';
import { queryValue, type FhirRequest, type FhirResponse } from '../fhir/request.ts';
import type { OperationHandler, OperationTarget } from '../fhir/operations/operation-registry.ts';
import { readCurrent } from '../store/resource-reads.ts';
import { parseFhirDateTime } from './fhir-time.ts';
import { missingInputIssues } from './missing-inputs.ts';
import type { ModelDevices } from './model-devices.ts';
import { inputPlan } from './model-inputs.ts';
import type { ModelRegistry } from './model-registry.ts';
import type { FhirJson } from './observation-readings.ts';
import { effectiveTime } from './observation-readings.ts';
import { loadPatientRecords } from './patient-records.ts';
import { CANONICAL_BASE } from './risk-codes.ts';
import type { RiskScorer } from './risk-scorer.ts';
import { planScoreResources, writeScores } from './score-writer.ts';
import { containInline, mergeInline, prepareInline, type InlineObservation } from './what-if.ts';

export interface RiskAssessDeps {
  registry: ModelRegistry;
  scorer: RiskScorer;
  devices: ModelDevices;
}

interface RiskAssessInput {
  model: string;
  at?: string;
  observations: InlineObservation[];
}

function readInput(request: FhirRequest): RiskAssessInput {
  const input: RiskAssessInput = { model: queryValue(request.query, 'model') ?? 'news2', at: queryValue(request.query, 'at'), observations: [] };
  const body = request.body as FhirJson | undefined;
  if (body === undefined) return input;
  if (body?.resourceType !== 'Parameters') throw badRequest('$risk-assess takes a Parameters resource (or no body)', ['resourceType'], 'structure');
  const parameters = Array.isArray(body.parameter) ? (body.parameter as FhirJson[]) : [];
  parameters.forEach((p, i) => {
    const at = `Parameters.parameter[${i}]`;
    switch (p.name) {
      case 'model':
        input.model = String(p.valueString ?? p.valueCode ?? p.valueId ?? '');
        break;
      case 'at':
        input.at = String(p.valueDateTime ?? p.valueInstant ?? '');
        break;
      case 'observation': {
        const resource = p.resource as FhirJson | undefined;
        if (resource?.resourceType !== 'Observation') throw badRequest('Parameter observation must hold an Observation resource', [`${at}.resource`], 'invalid');
        input.observations.push({ resource, location: at });
        break;
      }
      default:
        throw badRequest(`Unknown parameter '${String(p.name)}' for $risk-assess (model, at, observation)`, [`${at}.name`], 'not-supported');
    }
  });
  return input;
}

export function riskAssessOperation(deps: RiskAssessDeps): OperationHandler {
  return {
    name: 'risk-assess',
    levels: ['instance'],
    resourceTypes: ['Patient'],
    definition: `${CANONICAL_BASE}/OperationDefinition/Patient-risk-assess`,
    allowGet: false,
    documentation:
      'Scores a risk model (model=<id>, default news2) for the patient at `at` (default now). Without inline Observations the RiskAssessment (and NEWS2 score Observation) is stored; with `observation` parameters it is a what-if answer and nothing is stored. probabilityDecimal is a 0-1 fraction. 422 lists missing inputs.',
    async handle(ctx: InteractionContext, request: FhirRequest, target: OperationTarget): Promise<FhirResponse> {
      if (target.version !== undefined) throw notSupported('$risk-assess scores the patient as of now; it does not run on a version');
      if (ctx.tx) throw notSupported('$risk-assess cannot run inside a transaction bundle');
      const input = readInput(request);
      const model = deps.registry.get(input.model);
      if (!model) throw badRequest(`Unknown risk model '${input.model}'; known: ${deps.registry.list().map((m) => m.card.id).join(', ')}`, ['model'], 'not-supported');
      const patient = await readCurrent(ctx.services.db, 'Patient', target.id!);
      if (!patient || patient.deleted) throw notFound(`Patient/${target.id} is not known`);

      const requestedAt = input.at !== undefined ? parseFhirDateTime(input.at) : undefined;
      if (input.at !== undefined && (!/^\d{4}-\d{2}-\d{2}T/.test(input.at) || Number.isNaN(requestedAt))) {
        throw badRequest(`at must be a dateTime with a time and zone, not '${input.at}'`, ['at'], 'value');
      }
      for (const { resource, location } of input.observations) validateOrThrow(ctx, resource, location);
      let at = requestedAt ?? Date.now();
      const inline = prepareInline(input.observations, target.id!, new Date(at).toISOString());
      if (requestedAt === undefined) for (const o of inline) at = Math.max(at, effectiveTime(o) ?? at);

      const records = await loadPatientRecords(ctx.services, inputPlan([model]), [{ patient: target.id!, at }]);
      const resources = mergeInline(records.byPatient.get(target.id!) ?? [], inline);
      const { scores, incomplete } = await deps.scorer.score([{ patient: target.id!, at, resources, models: [model] }]);
      if (scores.length === 0) throw new FhirError(422, missingInputIssues(model.card, incomplete[0], new Date(at).toISOString()));

      let results: Array<{ name: string; resource: FhirJson }>;
      if (inline.length > 0) {
        const planned = await planScoreResources(ctx.services.db, scores);
        const note = { text: `What-if assessment: computed with ${inline.length} Observation(s) supplied inline (contained); nothing was stored.` };
        results = planned.flatMap((p) => [
          { name: 'riskAssessment', resource: containInline({ ...p.assessment, note: [...((p.assessment.note as FhirJson[] | undefined) ?? []), note] }, inline) },
          ...(p.observation ? [{ name: 'scoreObservation', resource: containInline(p.observation, inline) }] : []),
        ]);
      } else {
        const { planned, committed } = await writeScores(ctx.services.repository, deps.devices, scores);
        const stored = new Map(committed.filter((c) => c.json).map((c) => [`${c.type}/${c.id}`, JSON.parse(c.json!) as FhirJson]));
        const find = (r: FhirJson) => stored.get(`${String(r.resourceType)}/${String(r.id)}`)!;
        results = planned.flatMap((p) => [
          { name: 'riskAssessment', resource: find(p.assessment) },
          ...(p.observation ? [{ name: 'scoreObservation', resource: find(p.observation) }] : []),
        ]);
      }
      return { status: 200, body: { resource: { resourceType: 'Parameters', parameter: results } } };
    },
  };
}
