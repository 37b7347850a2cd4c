-- The targets of an ingest request's Provenance (Provenance/vc-ingest-<source>: every resource
-- the request created or changed, 2,500 for a large device batch) are no longer written to
-- idx_reference; searches derive them from the rids kept here (server/provenance/ingest-target-rows.ts):
-- one row per request instead of a reference row per reading. Created resources got their rids
-- from one insert, so they are a few runs: a multirange, whose GiST index finds a target's request
-- and whose bounds lead a range scan of resource from a request. Changed resources can be anywhere:
-- an array with a GIN index. Rows written before keep their idx_reference rows and NULL here, so
-- nothing is found twice.
ALTER TABLE provenance_ingest_source ADD COLUMN provenance_rid bigint;
ALTER TABLE provenance_ingest_source ADD COLUMN created_rids int8multirange;
ALTER TABLE provenance_ingest_source ADD COLUMN updated_rids int8[];
CREATE INDEX provenance_ingest_source_provenance ON provenance_ingest_source (provenance_rid);
CREATE INDEX provenance_ingest_source_created ON provenance_ingest_source USING gist (created_rids);
CREATE INDEX provenance_ingest_source_updated ON provenance_ingest_source USING gin (updated_rids);
