-- The patients (key subjects) of the resources an ingest request wrote, computed from the
-- resources in the request's own transaction: the anchor worker wraps the payload's data key for
-- them without reading and parsing every target back. NULL on rows written before this column
-- existed; the worker then derives them from the stored targets as before.
ALTER TABLE provenance_ingest_source ADD COLUMN subjects text[];
