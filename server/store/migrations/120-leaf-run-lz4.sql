-- The arrays of a leaf run (1,000-odd rids, versions, subject indexes and commit times: ~30 KB a
-- run) and of a window's bundles are compressed when the row is stored out of line (TOAST), with
-- pglz by default: under device ingestion that was ~1.6 µs of PostgreSQL CPU per reading (perf
-- samples in pglz_compress under the run's INSERT). lz4 compresses them to the same size for less:
-- inserting 1,250-leaf runs cost 0.80-0.93 µs of backend CPU per leaf against 1.33-1.60 with pglz
-- (scratch measurement, three alternations). PGlite has no lz4 and keeps pglz: there storing the
-- arrays uncompressed instead made no difference beyond the noise.
-- (A statement per line: migrate.ts splits at semicolons that end a line.)
DO $$ BEGIN ALTER TABLE provenance_leaf_run ALTER COLUMN rids SET COMPRESSION lz4, ALTER COLUMN versions SET COMPRESSION lz4, ALTER COLUMN subjects SET COMPRESSION lz4, ALTER COLUMN subject_at SET COMPRESSION lz4, ALTER COLUMN generated SET COMPRESSION lz4, ALTER COLUMN committed_ms SET COMPRESSION lz4; EXCEPTION WHEN feature_not_supported THEN NULL; END $$;
DO $$ BEGIN ALTER TABLE provenance_window_bundle ALTER COLUMN cids SET COMPRESSION lz4, ALTER COLUMN subjects SET COMPRESSION lz4; EXCEPTION WHEN feature_not_supported THEN NULL; END $$;
