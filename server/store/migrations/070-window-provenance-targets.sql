-- The targets of a window Provenance (Provenance/vc-window-<n>: every version the window anchored)
-- are no longer written to idx_reference; searches derive them from provenance_leaf and
-- provenance_window (server/provenance/window-target-rows.ts). The window records its
-- Provenance's rid, and a range index finds the window of a leaf, so the derivation runs both
-- ways: from a target version to the Provenance, and from the Provenance to its targets.
-- Rows written before stay in idx_reference: they duplicate derived ones, which no search can
-- tell apart.
ALTER TABLE provenance_window ADD COLUMN provenance_rid bigint;
UPDATE provenance_window w SET provenance_rid = r.rid FROM resource r WHERE r.type = 'Provenance' AND r.id = 'vc-window-' || w.window_id::text;
CREATE INDEX provenance_window_provenance ON provenance_window (provenance_rid);
CREATE INDEX provenance_window_leaf_range ON provenance_window USING gist (int8range(first_leaf, last_leaf, '[]'));
