import { runsOverlapping } from './leaf-runs.ts';

/**
 * The reference index rows of window Provenances' `target`, derived (fhir/search/reference-rows.ts):
 * a window Provenance names the versions of its window's leaves that are not erased, which is what
 * these rows are — so they cannot disagree with the resource, and an erasure takes its versions
 * out of them at once. Columns as idx_reference.
 *
 * Each link is stated so that either side can lead. A filter on target type and id reaches
 * resource's (type, id) index, then the leaf runs holding the rid (GiST on rid_span), the leaf in
 * the run, and its window by the range index; a filter on the Provenance's rid reaches its window
 * by provenance_rid, the runs by their leaf range (GiST), then resource by rid. That rid could be
 * joined from the Provenance's id ('vc-window-' || window_id), but PostgreSQL estimated that
 * expression join at one row even with fresh statistics (scratch EXPLAIN over 100,000 leaves: 1
 * estimated, 101 found), which steers it into building every window's rows; a plain indexed
 * column keeps the estimates right.
 */
export function windowTargetRows(pid: number): string {
  return `SELECT w.provenance_rid AS rid, ${pid}::int4 AS pid, t.type AS target_type, t.id AS target_id, u.version::text AS target_version, NULL::text AS url
      FROM provenance_window w
      JOIN provenance_leaf_run r ON ${runsOverlapping('w.first_leaf', 'w.last_leaf')}
      CROSS JOIN LATERAL unnest(r.rids, r.versions) WITH ORDINALITY AS u(rid, version, i)
      JOIN resource t ON t.rid = u.rid AND r.rid_span @> t.rid
     WHERE w.provenance_rid IS NOT NULL
       AND int8range(w.first_leaf, w.last_leaf, '[]') @> (r.first_leaf + u.i - 1)`;
}
