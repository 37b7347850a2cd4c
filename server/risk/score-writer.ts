/**
 * Writes scores through the one write path, in one transaction: the models' Devices (first time
 * only), the NEWS2 score Observations, then the RiskAssessments whose basis names the exact
 * version of their score Observation. That version is known before the write: the id is derived
 * from the inputs, so the Observation is either new (version 1), identical to the stored one (its
 * version: the repository stores nothing new), or changed (the next version).
 */
import type { Queryable } from '../store/database.ts';
import type { CommittedWrite, Repository, WriteOperation } from '../store/repository.ts';
import { storedJson } from '../store/stored-json.ts';
import type { ModelDevices } from './model-devices.ts';
import type { FhirJson } from './observation-readings.ts';
import type { Score } from './risk-scorer.ts';
import { scoreAssessment, scoreObservation, type ScoreResources } from './score-resources.ts';

interface CurrentRow {
  id: string;
  version: number;
  deleted: boolean;
  last_updated: Date;
  content: string | null;
}

/** Versions the given Observations will have once written (see the file comment). */
export async function plannedVersions(db: Queryable, observations: readonly FhirJson[]): Promise<Map<string, number>> {
  const planned = new Map<string, number>();
  if (observations.length === 0) return planned;
  const { rows } = await db.query<CurrentRow>(
    `SELECT r.id, r.version, r.deleted, r.last_updated, v.content
       FROM resource r JOIN resource_version v ON v.rid = r.rid AND v.version = r.version
      WHERE r.type = 'Observation' AND r.id = ANY($1::text[])`,
    [observations.map((o) => o.id as string)],
  );
  const current = new Map(rows.map((row) => [row.id, row]));
  for (const observation of observations) {
    const id = observation.id as string;
    const row = current.get(id);
    if (!row) planned.set(id, 1);
    else if (row.deleted || row.content === null) planned.set(id, row.version + 1);
    else planned.set(id, storedJson(observation, id, row.version, row.last_updated.toISOString()) === row.content ? row.version : row.version + 1);
  }
  return planned;
}

/** Score Observations and RiskAssessments as they are (or would be) written. */
export async function planScoreResources(db: Queryable, scores: readonly Score[]): Promise<ScoreResources[]> {
  const observations = scores.map(scoreObservation);
  const versions = await plannedVersions(db, observations.filter((o): o is FhirJson => !!o));
  return scores.map((score, i) => {
    const observation = observations[i];
    const reference = observation && `Observation/${observation.id as string}/_history/${versions.get(observation.id as string)}`;
    return { score, observation, assessment: scoreAssessment(score, reference) };
  });
}

function put(resource: FhirJson): WriteOperation {
  return { action: 'update', method: 'PUT', type: resource.resourceType as string, id: resource.id as string, resource };
}

export async function writeScores(repository: Repository, devices: ModelDevices, scores: readonly Score[]): Promise<{ planned: ScoreResources[]; committed: CommittedWrite[] }> {
  if (scores.length === 0) return { planned: [], committed: [] };
  const deviceOps = devices.pendingWrites(scores.map((s) => s.model));
  const { planned, committed } = await repository.db.transaction(async (tx) => {
    const planned = await planScoreResources(tx, scores);
    const ops = new Map<string, WriteOperation>();
    for (const op of [...deviceOps, ...planned.flatMap((p) => [...(p.observation ? [put(p.observation)] : []), put(p.assessment)])]) {
      ops.set(`${op.type}/${op.id}`, op);
    }
    const committed = await repository.writeInTransaction(tx, [...ops.values()]);
    const expected = new Map(planned.flatMap((p) => (p.observation ? [[p.observation.id as string, p.assessment]] : [])));
    for (const write of committed) {
      if (write.type !== 'Observation' || !expected.has(write.id)) continue;
      const basis = (expected.get(write.id)!.basis as Array<{ reference: string }>).at(-1)!.reference;
      // Another writer changed the score Observation between the read and the lock: retry the batch.
      if (basis !== `Observation/${write.id}/_history/${write.version}`) throw new Error(`score Observation ${write.id} moved to version ${write.version} while being written`);
    }
    return { planned, committed };
  });
  repository.committed(committed);
  devices.written(deviceOps);
  return { planned, committed };
}
