-- Versions over ~2 KB are compressed when stored out of line (TOAST). A device request's Provenance
-- names every reading it wrote (~150 KB for 2,500), a window's every version it anchored: lz4
-- compresses such JSON for 0.4 µs of PostgreSQL CPU per reading named against 1.4 with the
-- default pglz, to the same size (scratch measurement). Builds without lz4 (PGlite) keep pglz.
DO $$ BEGIN ALTER TABLE resource_version ALTER COLUMN content SET COMPRESSION lz4; EXCEPTION WHEN feature_not_supported THEN NULL; END $$;

-- Sealed ingest payloads are ciphertext: compressing them cannot succeed, so it is not tried.
ALTER TABLE provenance_ingest_source ALTER COLUMN sealed SET STORAGE EXTERNAL;
