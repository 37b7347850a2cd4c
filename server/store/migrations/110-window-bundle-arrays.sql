-- A window's bundles as one row of two arrays (cids[i] sealed under the key of subjects[i]), not a
-- row per bundle: a window of device readings from a hundred patients wrote a hundred heap tuples
-- and two hundred B-tree entries, ~2.3 µs of PGlite time per reading (scratch measurement,
-- 100,000 readings from 100 patients in 1,000-leaf windows). The GIN index finds a patient's
-- windows for $erase, which clears the patient's subject (array element NULL) and keeps the CID.
-- The view provenance_bundle shows the old row per bundle, for reading by hand and for look-ups
-- by window (its window_id filter reaches the primary key).
CREATE TABLE provenance_window_bundle (
  window_id bigint PRIMARY KEY,
  cids text[] NOT NULL,
  subjects text[] NOT NULL
);
CREATE INDEX provenance_window_bundle_subjects ON provenance_window_bundle USING gin (subjects);
INSERT INTO provenance_window_bundle (window_id, cids, subjects)
  SELECT window_id, array_agg(cid ORDER BY cid), array_agg(subject ORDER BY cid) FROM provenance_bundle GROUP BY window_id;
DROP TABLE provenance_bundle;
CREATE VIEW provenance_bundle AS
  SELECT b.window_id, u.cid, u.subject FROM provenance_window_bundle b CROSS JOIN LATERAL unnest(b.cids, b.subjects) AS u(cid, subject);
