import type { Queryable } from '../store/database.ts';
import type { WorkerStage } from './anchor-worker.ts';
import type { KeySubjects } from './key-subject.ts';
import { wrapKey } from './key-wrap.ts';
import type { StageDeps } from './pipeline-stages.ts';

/**
 * Ingest payloads sealed at their request (ingest-provenance.ts) get their data key wrapped here
 * under the key of every patient whose resources the request wrote, and, when they were spooled
 * in the database (an IPFS node, which a write must not wait for), are stored in the content
 * store. The CID the store reports must be the one the Provenance already names.
 */
export function ingestSourceStage(deps: StageDeps & { subjects: KeySubjects }): WorkerStage {
  return {
    name: 'ingest-source',
    async run() {
      const { rows } = await deps.db.query<{ source_id: string; cid: string; targets: string[]; sealed: Buffer | null; dek: Buffer; subjects: string[] | null }>(
        `SELECT source_id, cid, CASE WHEN subjects IS NULL THEN targets END AS targets, sealed, dek, subjects
           FROM provenance_ingest_source WHERE stored_at IS NULL ORDER BY received_at LIMIT 32`,
      );
      for (const row of rows) {
        await deps.exclusive(async () => {
          // An erase that touched these targets meanwhile deleted this row (it runs under the same lock), so recorded subjects are never stale.
          const subjects = row.subjects ?? (await targetSubjects(deps.db, deps.subjects, row.targets));
          const keys = await deps.backends.keys.patientKeys(subjects);
          const wrapped = Object.fromEntries([...keys].map(([subject, key]) => [subject, wrapKey(key, Buffer.from(row.dek)).toString('base64')]));
          // Spooled: stored under the CID its Provenance already names (a Kubo node's answer is
          // checked against it). Not spooled: stored at its request in the local store.
          if (row.sealed) await deps.backends.content.put(Buffer.from(row.sealed), row.cid);
          await deps.db.query(
            `UPDATE provenance_ingest_source SET sealed = NULL, dek = NULL, wrapped_deks = $2, stored_at = now() WHERE source_id = $1 AND stored_at IS NULL`,
            [row.source_id, JSON.stringify(wrapped)],
          );
        });
      }
      return rows.length > 0;
    },
  };
}

/** Rows written before ingest recorded its subjects: read the targets back. */
async function targetSubjects(db: Queryable, subjects: KeySubjects, targets: string[]): Promise<string[]> {
  const keys = targets.map((target) => target.split('/'));
  const { rows } = await db.query<{ type: string; id: string; content: string | null }>(
    `SELECT r.type, r.id, v.content FROM unnest($1::text[], $2::text[]) AS u(type, id)
       JOIN resource r ON r.type = u.type AND r.id = u.id
       JOIN resource_version v ON v.rid = r.rid AND v.version = r.version`,
    [keys.map((k) => k[0]), keys.map((k) => k[1])],
  );
  return subjects.payloadSubjects(rows.flatMap((row) => (row.content ? [{ type: row.type, id: row.id, resource: JSON.parse(row.content) as Record<string, unknown> }] : [])));
}
