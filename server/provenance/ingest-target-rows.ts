/**
 * The reference index rows of ingest requests' Provenance `target`, derived
 * (fhir/search/reference-rows.ts) from the rids the request wrote, kept with its source row
 * (provenance_ingest_source, written in the request's transaction): a device batch's Provenance
 * names every reading, and a reference row per reading was most of what the request Provenance
 * cost. Created resources are named by version 1, changed ones unversioned, as in the resource.
 *
 * Each join states the link twice so that either side can lead. From a target (a search by target
 * type and id) the source row is found by the index on the rids: GiST on the created multirange,
 * GIN on the changed array. From a Provenance (a filter on its rid, as in _include) resource is
 * read by primary key: over the created multirange's bounds (one insert's rids, interleaved at most
 * with concurrent requests'), or by `= ANY` of the changed array. The other condition is then a
 * check per row: a binary search in the multirange, a scan of the changed array (usually short).
 */
export function ingestTargetRows(pid: number): string {
  const columns = (version: string) => `s.provenance_rid AS rid, ${pid}::int4 AS pid, t.type AS target_type, t.id AS target_id, ${version}::text AS target_version, NULL::text AS url`;
  return `SELECT ${columns("'1'")}
      FROM provenance_ingest_source s
      JOIN resource t ON t.rid >= lower(s.created_rids) AND t.rid < upper(s.created_rids) AND s.created_rids @> t.rid
     WHERE s.provenance_rid IS NOT NULL
    UNION ALL
    SELECT ${columns('NULL')}
      FROM provenance_ingest_source s
      JOIN resource t ON t.rid = ANY(s.updated_rids) AND s.updated_rids @> ARRAY[t.rid]
     WHERE s.provenance_rid IS NOT NULL`;
}
