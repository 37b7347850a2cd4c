-- Secrets the server keeps with its data, shared by every process on one database: today the key
-- of the hash that names ingested readings (server/ingest/reading-ids.ts). Never logged, never
-- served, never anchored.
CREATE TABLE server_secret (
  name text PRIMARY KEY,
  value bytea NOT NULL
);
