-- Identifier-like text columns (types, ids, systems, codes, references, keys) compare in byte
-- order. They are only ever matched for equality or prefix, never shown sorted by a person, and
-- under a libc locale (even C.UTF-8) every B-tree comparison copies both values and calls
-- strcoll: that comparison was the largest cost of inserting index rows during device ingestion.
-- Human text (idx_string, the token display text) keeps the database collation.
ALTER TABLE resource ALTER COLUMN type TYPE text COLLATE "C", ALTER COLUMN id TYPE text COLLATE "C";
ALTER TABLE outbox ALTER COLUMN type TYPE text COLLATE "C", ALTER COLUMN id TYPE text COLLATE "C";
ALTER TABLE idx_token ALTER COLUMN system TYPE text COLLATE "C", ALTER COLUMN code TYPE text COLLATE "C";
ALTER TABLE idx_reference ALTER COLUMN target_type TYPE text COLLATE "C", ALTER COLUMN target_id TYPE text COLLATE "C",
  ALTER COLUMN target_version TYPE text COLLATE "C", ALTER COLUMN url TYPE text COLLATE "C";
ALTER TABLE idx_uri ALTER COLUMN uri TYPE text COLLATE "C";
ALTER TABLE idx_quantity ALTER COLUMN system TYPE text COLLATE "C", ALTER COLUMN code TYPE text COLLATE "C",
  ALTER COLUMN canonical_code TYPE text COLLATE "C";
ALTER TABLE idx_composite ALTER COLUMN k_system TYPE text COLLATE "C", ALTER COLUMN k_code TYPE text COLLATE "C",
  ALTER COLUMN t_system TYPE text COLLATE "C", ALTER COLUMN t_code TYPE text COLLATE "C",
  ALTER COLUMN q_system TYPE text COLLATE "C", ALTER COLUMN q_code TYPE text COLLATE "C", ALTER COLUMN q_canonical_code TYPE text COLLATE "C";
ALTER TABLE idx_identifier_type ALTER COLUMN type_system TYPE text COLLATE "C", ALTER COLUMN type_code TYPE text COLLATE "C",
  ALTER COLUMN value TYPE text COLLATE "C";
ALTER TABLE idx_observation ALTER COLUMN subject_type TYPE text COLLATE "C", ALTER COLUMN subject_id TYPE text COLLATE "C",
  ALTER COLUMN system TYPE text COLLATE "C", ALTER COLUMN code TYPE text COLLATE "C",
  ALTER COLUMN group_system TYPE text COLLATE "C", ALTER COLUMN group_code TYPE text COLLATE "C";
ALTER TABLE ingest_key ALTER COLUMN key TYPE text COLLATE "C", ALTER COLUMN resource_id TYPE text COLLATE "C";
