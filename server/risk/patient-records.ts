/**
 * Loads what scoring reads for many patients at once, straight from the search index tables: the
 * patients' Observations carrying an input code (or the code of a panel whose components carry
 * one) in that code's window, the Conditions and Flags that steer scoring, and the Patients. Two
 * queries for a whole batch — the rids, then their current versions — where per-patient searches
 * through the search engine would cost several per patient.
 *
 * The windows are a superset filter on the indexed effective-time ranges; feature extraction
 * applies the exact per-input windows afterwards. With a ParsedVersions cache only versions not
 * seen before are read and parsed.
 */
import type { Queryable } from '../store/database.ts';
import { readByRids } from '../store/resource-reads.ts';
import type { SearchParamIds } from '../store/search-param-ids.ts';
import { indexTarget } from '../fhir/search/definitions/index-target.ts';
import type { SearchParameterRegistry } from '../fhir/search/definitions/search-parameters.ts';
import type { InputPlan } from './model-inputs.ts';
import type { FhirJson } from './observation-readings.ts';
import type { ParsedVersions } from './parsed-versions.ts';

export interface RecordRequest {
  patient: string;
  /** Scoring time, epoch ms: readings after it are not loaded. */
  at: number;
}

export interface IndexAccess {
  db: Queryable;
  paramIds: SearchParamIds;
  registry: SearchParameterRegistry;
}

/** The pids whose index rows answer a parameter (its own, or its base parameters' if it is an alias). */
export function indexPids(index: IndexAccess, type: string, code: string): number[] {
  const target = indexTarget(index.registry, (t, c) => index.paramIds.pid(t, c), type, code);
  if (!target) throw new Error(`search parameter ${type}.${code} is not indexed`);
  return target.pids;
}

export interface PatientRecords {
  /** Resources by patient id. */
  byPatient: Map<string, FhirJson[]>;
  /** The same resources by rid. */
  byRid: Map<number, FhirJson>;
}

/**
 * What the models read, for every requested patient: two queries for the lot (the rids, then
 * their current versions). Observations are read per input code over that code's own look-back
 * (NEWS2 inputs 24 h, the baseline's signals 14 days), not over the longest window of all.
 */
export async function loadPatientRecords(index: IndexAccess, plan: InputPlan, requests: readonly RecordRequest[], cache?: ParsedVersions): Promise<PatientRecords> {
  const { db } = index;
  const byPatient = new Map<string, FhirJson[]>(requests.map((r) => [r.patient, []]));
  const byRid = new Map<number, FhirJson>();
  if (requests.length === 0) return { byPatient, byRid };
  // Every branch is always present (PostgreSQL must type every parameter); a branch the models
  // do not need is switched off by its empty list or flag.
  const { rows } = await db.query<{ rid: number; patient: string; version: number }>(
    `WITH w AS (SELECT * FROM unnest($1::text[], $2::timestamptz[]) AS w(patient, at)), found AS (
     -- Input and panel codes as Observation.code: idx_observation, one index range scan per
     -- patient and code over that code's own window.
     SELECT o.rid, w.patient FROM w
       CROSS JOIN unnest($3::text[], $4::int8[]) AS k(code, lookback_ms)
       JOIN idx_observation o ON o.subject_id = w.patient AND o.code = k.code AND o.subject_type = 'Patient'
        AND o.low <= w.at AND o.high >= w.at - (k.lookback_ms + 1000) * interval '1 millisecond'
     UNION
     SELECT s.rid, w.patient FROM w
       JOIN idx_reference s ON s.pid = ANY($5::int4[]) AND s.target_id = w.patient AND s.target_type = 'Patient'
       JOIN idx_token c ON c.rid = s.rid AND c.pid = ANY($6::int4[]) AND c.code = ANY($7::text[])
     UNION
     SELECT s.rid, w.patient FROM w
       JOIN idx_reference s ON s.pid = ANY($8::int4[]) AND s.target_id = w.patient AND s.target_type = 'Patient'
      WHERE $9::bool
     UNION
     SELECT r.rid, w.patient FROM w JOIN resource r ON r.type = 'Patient' AND r.id = w.patient AND NOT r.deleted
      WHERE $10::bool)
     SELECT f.rid, f.patient, r.version FROM found f JOIN resource r ON r.rid = f.rid AND NOT r.deleted`,
    [
      requests.map((r) => r.patient),
      requests.map((r) => new Date(r.at).toISOString()),
      plan.codeWindows.map((k) => k.code),
      plan.codeWindows.map((k) => k.lookbackMs),
      indexPids(index, 'Condition', 'subject'),
      indexPids(index, 'Condition', 'code'),
      plan.conditionCodes,
      indexPids(index, 'Flag', 'subject'),
      plan.wantsFlags,
      plan.wantsPatient,
    ],
  );
  const owner = new Map(rows.map((row) => [Number(row.rid), row.patient]));
  const misses: number[] = [];
  for (const row of rows) {
    const cached = cache?.get(Number(row.rid), row.version);
    if (cached) byRid.set(Number(row.rid), cached);
    else misses.push(Number(row.rid));
  }
  for (const stored of await readByRids(db, misses)) {
    const resource = JSON.parse(stored.json!) as FhirJson;
    byRid.set(Number(stored.rid), resource);
    cache?.set(Number(stored.rid), stored.version, resource);
  }
  for (const [rid, resource] of byRid) byPatient.get(owner.get(rid)!)!.push(resource);
  return { byPatient, byRid };
}
