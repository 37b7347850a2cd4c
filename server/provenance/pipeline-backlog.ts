import type { Queryable } from '../store/database.ts';
import { LEAF_HEAD_SQL } from './leaf-runs.ts';

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

/**
 * One statement, so one snapshot: read in separate statements, an anchor committed between them
 * (the window no longer built, its Provenance not yet in the outbox read before) looked idle while
 * that Provenance still had no leaf. In one snapshot every step of the pipeline leaves a trace in
 * some count until the next step's transaction commits.
 */
export async function pipelineBacklog(db: Queryable, consumer: string): Promise<PipelineBacklog> {
  const { rows } = await db.query<Record<string, string>>(
    `SELECT (SELECT coalesce(max(seq), 0) FROM outbox) - coalesce((SELECT seq FROM outbox_cursor WHERE consumer = $1), 0) AS events,
            ${LEAF_HEAD_SQL} - (SELECT coalesce(max(last_leaf), 0) FROM provenance_window) AS unassigned,
            (SELECT count(*) FROM provenance_window WHERE status = 'open') AS open,
            (SELECT count(*) FROM provenance_window WHERE status = 'built') AS built,
            (SELECT count(*) FROM provenance_window WHERE status = 'anchored') AS anchored,
            (SELECT count(*) FROM provenance_ingest_source WHERE stored_at IS NULL) AS ingest`,
    [consumer],
  );
  const r = rows[0];
  const backlog = {
    events: Math.max(0, Number(r.events)),
    unassignedLeaves: Number(r.unassigned),
    openWindows: Number(r.open),
    builtWindows: Number(r.built),
    ingestPayloadsToStore: Number(r.ingest),
    anchoredWindows: Number(r.anchored),
  };
  const idle = backlog.events + backlog.unassignedLeaves + backlog.openWindows + backlog.builtWindows + backlog.ingestPayloadsToStore === 0;
  return { ...backlog, idle };
}
