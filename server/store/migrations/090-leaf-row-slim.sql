-- A leaf row keeps what only it knows: its number, the version it was computed for, salt, leaf,
-- key subject and commit time. type and id were copies of resource's (read from there by rid),
-- seq was never read, and the subject index was an index entry per committed version for $erase
-- alone: ~1.5 µs of PostgreSQL CPU per leaf in all (scratch benchmark, 100,000 leaves in
-- 1,000-leaf batches: 7.7 → 6.4 µs per leaf). $erase now finds a patient's leaves through the
-- windows holding the patient's bundles (the index below), windows not built yet and the leaves
-- not in a window yet (server/provenance/erasure.ts).
DROP INDEX provenance_leaf_subject;
ALTER TABLE provenance_leaf DROP COLUMN seq, DROP COLUMN type, DROP COLUMN id;
DROP INDEX provenance_bundle_subject;
CREATE INDEX provenance_bundle_subject ON provenance_bundle (subject, window_id);
