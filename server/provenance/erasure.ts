import { arrayParam } from '../store/bulk-insert.ts';
import type { Database, Queryable } from '../store/database.ts';
import type { SearchParamIds } from '../store/search-param-ids.ts';
import { compartmentResourceTypes } from '../fhir/search/compartments.ts';
import type { KeyStore } from './key-store.ts';
import type { KeySubjects } from './key-subject.ts';
import { runsOverlapping } from './leaf-runs.ts';
import type { Sealer } from './sealer.ts';
import { erasureKey } from './version-verification.ts';

export interface ErasureDeps {
  db: Database;
  keys: KeyStore;
  subjects: KeySubjects;
  /** Drops the patient's versions held for sealing, and every version not hashed yet, so none of the patient's JSON lingers in memory. */
  sealer: Sealer;
  paramIds: SearchParamIds;
  /** AnchorWorker.exclusive: no bundle is sealed while a patient is being erased. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
}

export interface ErasureResult {
  subject: string;
  /** Resources expunged, by type. */
  resources: Record<string, number>;
  versions: number;
  keyDestroyed: boolean;
  /** Leaves that stay anchored (hashes only) with everything naming them cleared. */
  anchoredLeaves: number;
  ingestPayloads: number;
}

/**
 * Erasure by crypto-shredding (see ERASURE.md). In order:
 *  1. find the patient's resources: the Patient, every resource any version of which was assigned
 *     to the patient's key, and current members of the patient's compartment not anchored yet;
 *  2. destroy the patient's key (first: should the process die before step 3, nothing of the
 *     patient can be decrypted any more, and repeating $erase finishes the job);
 *  3. in one transaction, expunge those resources from every table that holds them (resource,
 *     resource_version, all idx_* tables, the outbox, pending deliveries and ingest keys), remove
 *     the ingest payloads that name them, and strip the patient's leaves down to the bare leaf.
 * What stays: the anchored roots and manifests (salted hashes), and ciphertext blocks that no key
 * opens any more, so every other version in the same windows still verifies.
 */
export async function erasePatient(deps: ErasureDeps, patientId: string): Promise<ErasureResult> {
  const subject = `Patient/${patientId}`;
  return deps.exclusive(async () => {
    const rids = await patientRids(deps, patientId, subject);
    const sources = await linkedSources(deps.db, subject, rids);
    const keyDestroyed = await deps.keys.destroyPatientKey(subject);
    const allRids = [...new Set([...rids.map((r) => r.rid), ...sources.provenanceRids.map((r) => r.rid)])];
    const described = [...rids, ...sources.provenanceRids];
    const result = await deps.db.transaction(async (tx) => {
      // First: the leaf recorder's insert waits for this lock, and sees the count (leaf-recorder.ts).
      await tx.query('LOCK TABLE provenance_leaf_run IN SHARE ROW EXCLUSIVE MODE');
      await tx.query(`SELECT nextval('provenance_erasure_epoch')`);
      const { rows: versions } = await tx.query<{ rid: string; n: string }>('SELECT rid, count(*) AS n FROM resource_version WHERE rid = ANY($1::int8[]) GROUP BY rid', [allRids]);
      const perRid = new Map(versions.map((v) => [Number(v.rid), Number(v.n)]));
      const seen = new Set<number>();
      const unique = described.filter((r) => !seen.has(r.rid) && seen.add(r.rid));
      await tx.query(
        `INSERT INTO provenance_erasure (key_hash, erased_at, versions) SELECT k, now(), n FROM unnest($1::bytea[], $2::int4[]) AS u(k, n)
         ON CONFLICT (key_hash) DO UPDATE SET erased_at = EXCLUDED.erased_at, versions = provenance_erasure.versions + EXCLUDED.versions`,
        [unique.map((r) => erasureKey(r.type, r.id)), unique.map((r) => perRid.get(r.rid) ?? 0)],
      );
      for (const table of await ridTables(tx)) await tx.query(`DELETE FROM ${table} WHERE rid = ANY($1::int8[])`, [allRids]);
      await deleteByTypeAndId(tx, unique);
      await tx.query('DELETE FROM resource_version WHERE rid = ANY($1::int8[])', [allRids]);
      await tx.query('DELETE FROM resource WHERE rid = ANY($1::int8[])', [allRids]);
      const anchoredLeaves = await stripLeaves(tx, allRids, subject);
      await tx.query('UPDATE provenance_window_bundle SET subjects = array_replace(subjects, $1, NULL) WHERE subjects @> ARRAY[$1::text]', [subject]);
      await tx.query('DELETE FROM provenance_ingest_source WHERE source_id = ANY($1::text[])', [sources.ids]);
      const resources: Record<string, number> = {};
      for (const r of unique) resources[r.type] = (resources[r.type] ?? 0) + 1;
      return { subject, resources, versions: [...perRid.values()].reduce((a, b) => a + b, 0), keyDestroyed, anchoredLeaves, ingestPayloads: sources.ids.length };
    });
    // Last, still under the lock: whatever the consumer read of the patient meanwhile never reaches a bundle.
    await deps.sealer.forget(subject, allRids);
    return result;
  });
}

/**
 * SQL for the leaf runs that may hold the patient's versions (`subject`: the parameter holding
 * 'Patient/<id>') without an index on the leaves' subject, which would be an entry per committed
 * version for this rare request alone: a patient's leaves are in the built windows holding a
 * bundle of theirs, in windows not built yet, or past every window (a span without an upper
 * bound). Windows are assigned and built under the lock erasure holds (AnchorWorker.exclusive), so
 * no leaf is between those places.
 */
function subjectRuns(subject: string): string {
  return `SELECT r.* FROM (
         SELECT w.first_leaf, w.last_leaf FROM provenance_window_bundle b JOIN provenance_window w ON w.window_id = b.window_id WHERE b.subjects @> ARRAY[${subject}::text]
         UNION ALL SELECT first_leaf, last_leaf FROM provenance_window WHERE status = 'open'
         UNION ALL SELECT coalesce(max(last_leaf), 0) + 1, NULL::int8 FROM provenance_window) AS span
       JOIN provenance_leaf_run r ON ${runsOverlapping('span.first_leaf', 'span.last_leaf')}
      WHERE ${subject} = ANY (r.subjects)`;
}

interface RunToStrip {
  first_leaf: string | number;
  rids: Array<string | number | bigint | null>;
  versions: Array<number | null>;
  subjects: string[];
  subject_at: Array<number | null>;
  salts: Uint8Array;
}

/**
 * Strips the patient's leaves down to the bare leaf, which stays anchored: version, salt and key
 * subject go, in every run holding a version of `rids` or a leaf under the patient's key. Returns
 * how many leaves were stripped.
 */
async function stripLeaves(tx: Queryable, rids: number[], subject: string): Promise<number> {
  const { rows } = await tx.query<RunToStrip>(
    `SELECT first_leaf, rids, versions, subjects, subject_at, salts FROM provenance_leaf_run
      WHERE first_leaf IN (SELECT first_leaf FROM (${subjectRuns('$2')}) AS s
                           UNION SELECT first_leaf FROM provenance_leaf_run
                            WHERE rid_span && (SELECT coalesce(range_agg(int8range(x, x, '[]')), '{}') FROM unnest($1::int8[]) AS x))
      ORDER BY first_leaf FOR UPDATE`,
    [rids, subject],
  );
  const erased = new Set(rids);
  let stripped = 0;
  for (const run of rows) {
    const salts = Buffer.from(run.salts);
    let changed = false;
    for (let i = 0; i < run.rids.length; i++) {
      const rid = run.rids[i];
      if (rid === null) continue;
      const at = run.subject_at[i];
      if (!erased.has(Number(rid)) && (at === null || run.subjects[at - 1] !== subject)) continue;
      run.rids[i] = null;
      run.versions[i] = null;
      run.subject_at[i] = null;
      salts.fill(0, i * 32, i * 32 + 32);
      changed = true;
      stripped++;
    }
    if (!changed) continue;
    await tx.query('UPDATE provenance_leaf_run SET rids = $2::int8[], versions = $3::int4[], subject_at = $4::int4[], salts = $5 WHERE first_leaf = $1', [
      run.first_leaf,
      arrayParam(tx, 'int8', run.rids.map((rid) => (rid === null ? null : Number(rid)))),
      arrayParam(tx, 'int4', run.versions),
      arrayParam(tx, 'int4', run.subject_at),
      salts,
    ]);
  }
  return stripped;
}

interface Rid {
  rid: number;
  type: string;
  id: string;
}

async function patientRids(deps: ErasureDeps, patientId: string, subject: string): Promise<Rid[]> {
  const found = new Map<number, Rid>();
  const add = (rows: { rid: string; type: string; id: string }[]) => rows.forEach((r) => found.set(Number(r.rid), { rid: Number(r.rid), type: r.type, id: r.id }));
  add((await deps.db.query<any>(`SELECT rid, type, id FROM resource WHERE type = 'Patient' AND id = $1`, [patientId])).rows);
  add(
    (
      await deps.db.query<any>(
        `SELECT DISTINCT u.rid, t.type, t.id FROM (${subjectRuns('$1')}) AS r
          CROSS JOIN LATERAL unnest(r.rids, r.subject_at) AS u(rid, s)
           JOIN resource t ON t.rid = u.rid
          WHERE r.subjects[u.s] = $1`,
        [subject],
      )
    ).rows,
  );
  // Versions the pipeline has not reached yet: current compartment members whose key subject is this patient.
  const pids = compartmentResourceTypes('Patient').flatMap((type) => deps.subjects.compartmentCodes(type).map((code) => deps.paramIds.pid(type, code))).filter((pid): pid is number => pid !== undefined);
  const { rows } = await deps.db.query<{ rid: string; type: string; id: string; content: string | null }>(
    `SELECT DISTINCT r.rid, r.type, r.id, v.content FROM idx_reference x
       JOIN resource r ON r.rid = x.rid JOIN resource_version v ON v.rid = r.rid AND v.version = r.version
      WHERE x.target_type = 'Patient' AND x.target_id = $1 AND x.pid = ANY($2::int4[])`,
    [patientId, pids],
  );
  add(rows.filter((r) => r.content && deps.subjects.of(r.type, r.id, JSON.parse(r.content)) === subject));
  return [...found.values()];
}

/** Ingest payloads wrapped for the patient, or still waiting and naming one of their resources. */
async function linkedSources(db: Queryable, subject: string, rids: Rid[]): Promise<{ ids: string[]; provenanceRids: Rid[] }> {
  const targets = rids.map((r) => `${r.type}/${r.id}`);
  const { rows } = await db.query<{ source_id: string; provenance_id: string }>(
    // A payload not stored yet names its patients (subjects), or — written before those were
    // recorded — its targets.
    `SELECT source_id, provenance_id FROM provenance_ingest_source
      WHERE wrapped_deks ? $1 OR (stored_at IS NULL AND (subjects @> ARRAY[$1] OR targets && $2::text[]))`,
    [subject, targets],
  );
  const { rows: provenance } = await db.query<any>(`SELECT rid, type, id FROM resource WHERE type = 'Provenance' AND id = ANY($1::text[])`, [rows.map((r) => r.provenance_id)]);
  return { ids: rows.map((r) => r.source_id), provenanceRids: provenance.map((r) => ({ rid: Number(r.rid), type: r.type, id: r.id })) };
}

/** Every search index table (idx_*), whoever added it, plus the outbox. */
async function ridTables(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND column_name = 'rid' AND (table_name LIKE 'idx\\_%' OR table_name = 'outbox')`,
  );
  return rows.map((r) => r.table_name).filter((name) => /^[a-z_]+$/.test(name));
}

/** Other features' tables that name resources by type and id, when they exist. */
async function deleteByTypeAndId(tx: Queryable, resources: Rid[]): Promise<void> {
  const { rows } = await tx.query<{ delivery: string | null; keys: string | null }>(`SELECT to_regclass('subscription_delivery')::text AS delivery, to_regclass('ingest_key')::text AS keys`);
  if (rows[0].delivery) {
    await tx.query('DELETE FROM subscription_delivery WHERE (resource_type, resource_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))', [resources.map((r) => r.type), resources.map((r) => r.id)]);
  }
  if (rows[0].keys) {
    await tx.query('DELETE FROM ingest_key WHERE resource_id = ANY($1::text[])', [resources.filter((r) => r.type === 'Observation').map((r) => r.id)]);
  }
}
