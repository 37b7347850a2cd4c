import type { Queryable } from '../store/database.ts';
import type { Outbox } from '../store/outbox.ts';

/** How far the pipeline is behind, from the database alone. */
export interface PipelineBacklog {
  /** Outbox events the consumer has not finished. */
  events: number;
  /** Leaves not yet in a window. */
  unassignedLeaves: number;
  openWindows: number;
  builtWindows: number;
  ingestPayloadsToStore: number;
  anchoredWindows: number;
  /** Nothing left to do. */
  idle: boolean;
}

export async function pipelineBacklog(db: Queryable, outbox: Outbox, consumer: string): Promise<PipelineBacklog> {
  const [head, cursor] = [await outbox.headSeq(), await outbox.cursor(consumer)];
  const { rows } = await db.query<Record<string, string>>(
    `SELECT (SELECT coalesce(max(leaf_no), 0) FROM provenance_leaf) - (SELECT coalesce(max(last_leaf), 0) FROM provenance_window) AS unassigned,
            (SELECT count(*) FROM provenance_window WHERE status = 'open') AS open,
            (SELECT count(*) FROM provenance_window WHERE status = 'built') AS built,
            (SELECT count(*) FROM provenance_window WHERE status = 'anchored') AS anchored,
            (SELECT count(*) FROM provenance_ingest_source WHERE stored_at IS NULL) AS ingest`,
  );
  const r = rows[0];
  const backlog = {
    events: Math.max(0, head - cursor),
    unassignedLeaves: Number(r.unassigned),
    openWindows: Number(r.open),
    builtWindows: Number(r.built),
    ingestPayloadsToStore: Number(r.ingest),
    anchoredWindows: Number(r.anchored),
  };
  const idle = backlog.events + backlog.unassignedLeaves + backlog.openWindows + backlog.builtWindows + backlog.ingestPayloadsToStore === 0;
  return { ...backlog, idle };
}
