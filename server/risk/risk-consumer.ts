/**
 * The outbox consumer that rescoring runs on. Per batch of events:
 * 1. the Observations created or updated in the batch that carry an input (or panel) code of
 *    some automatically scored model and a Patient subject (one query on idx_observation, the
 *    Observation fast-path index);
 * 2. each affected patient's record in the models' windows (loadPatientRecords: two queries);
 * 3. per patient, the scoring time (the newest triggering reading) and the models it feeds;
 * 4. every complete model scored once per patient, ONNX models batched across patients;
 * 5. all score Observations and RiskAssessments written in one transaction.
 *
 * No loop: score Observations (SNOMED-coded) and RiskAssessments carry no input code, so the
 * events of step 5 select nothing in the next batch. Replays (at-least-once) rewrite identical
 * resources under the same ids, which the repository turns into no new version.
 */
import type { FhirServices } from '../fhir/context.ts';
import type { OutboxEvent } from '../store/outbox.ts';
import type { ModelDevices } from './model-devices.ts';
import { inputPlan, modelsFedBy } from './model-inputs.ts';
import type { ModelRegistry, RegisteredModel } from './model-registry.ts';
import { effectiveTime, type FhirJson } from './observation-readings.ts';
import { ParsedVersions } from './parsed-versions.ts';
import { loadPatientRecords } from './patient-records.ts';
import type { RiskScorer, ScoringRequest } from './risk-scorer.ts';
import { writeScores } from './score-writer.ts';

export interface RiskConsumerDeps {
  services: FhirServices;
  registry: ModelRegistry;
  scorer: RiskScorer;
  devices: ModelDevices;
}

export interface BatchOutcome {
  patients: number;
  scores: number;
  writes: number;
}

export function riskConsumer(deps: RiskConsumerDeps): (events: OutboxEvent[]) => Promise<BatchOutcome> {
  const { services, registry, scorer, devices } = deps;
  const automatic = registry.list().filter((m) => m.card.trigger === 'observation');
  const plan = inputPlan(automatic);
  // Input codes and the panels that carry inputs as components (a blood-pressure panel).
  const triggerCodes = plan.codeWindows.map((k) => k.code);
  const cache = new ParsedVersions();
  const { db } = services;

  return async (events) => {
    const ids = [...new Set(events.filter((e) => e.type === 'Observation' && e.action !== 'delete').map((e) => e.id))];
    if (ids.length === 0 || triggerCodes.length === 0) return { patients: 0, scores: 0, writes: 0 };
    // Triggers: created/updated Observations with an input (or panel) code and a Patient subject.
    // Their indexed effective-time bound is enough to load the records; the exact time comes from
    // their JSON, which is loaded with the records.
    const { rows } = await db.query<{ rid: number; patient: string; at: Date }>(
      `SELECT o.rid, o.subject_id AS patient, max(CASE WHEN o.high = 'infinity' THEN o.low ELSE o.high END) AS at
         FROM resource r JOIN idx_observation o ON o.rid = r.rid AND o.subject_type = 'Patient' AND o.code = ANY($2::text[])
        WHERE r.type = 'Observation' AND r.id = ANY($1::text[]) AND NOT r.deleted AND o.low <> '-infinity'
        GROUP BY o.rid, o.subject_id`,
      [ids, triggerCodes],
    );
    if (rows.length === 0) return { patients: 0, scores: 0, writes: 0 };
    const bound = new Map<string, number>();
    for (const row of rows) bound.set(row.patient, Math.max(bound.get(row.patient) ?? 0, new Date(row.at).getTime()));
    const records = await loadPatientRecords(services, plan, [...bound].map(([patient, at]) => ({ patient, at })), cache);

    const perPatient = new Map<string, { at: number; models: Set<RegisteredModel>; triggers: Set<FhirJson> }>();
    for (const row of rows) {
      const obs = records.byRid.get(Number(row.rid));
      const time = obs && effectiveTime(obs);
      if (!obs || time === undefined) continue;
      const models = modelsFedBy(obs, automatic);
      if (models.length === 0) continue;
      const entry = perPatient.get(row.patient);
      if (!entry) perPatient.set(row.patient, { at: time, models: new Set(models), triggers: new Set([obs]) });
      else {
        entry.at = Math.max(entry.at, time);
        for (const m of models) entry.models.add(m);
        entry.triggers.add(obs);
      }
    }
    const scoring: ScoringRequest[] = [...perPatient].map(([patient, { at, models, triggers }]) => ({
      patient,
      at,
      resources: records.byPatient.get(patient) ?? [],
      models: [...models],
      triggers,
    }));
    const { scores } = await scorer.score(scoring);
    const { committed } = await writeScores(services.repository, devices, scores);
    return { patients: perPatient.size, scores: scores.length, writes: committed.filter((c) => c.action !== 'none').length };
  };
}
