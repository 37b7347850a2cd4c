-- Leaves are recorded as one row per consumer batch (a run of consecutive leaf numbers), not one
-- row per committed version. A leaf row cost a heap tuple and two index entries per reading:
-- ~5.6 µs of PostgreSQL CPU per leaf, and in PGlite (on the server's own thread) ~19 µs, where a
-- run row costs ~1.1 and ~6.5 (scratch measurement, 100,000 leaves in 1,000-leaf batches). A run
-- holds its leaves as arrays, element i being leaf first_leaf + i - 1:
--   rids, versions   the version each leaf was computed for (NULL: erased, the leaf stays bare);
--   salts, leaves    32 bytes per leaf back to back (an erased leaf's salt is zeroed);
--   subjects         the run's distinct key subjects, subject_at the index of each leaf's (1-based);
--   generated        positions of the pipeline's own window Provenance versions (usually none);
--   committed_ms     commit time of each version, Unix milliseconds.
-- first_seq/last_seq: the outbox range the batch came from; a redelivered batch is recognised by
-- it (nothing at or below the highest last_seq is recorded again), and the ledger audit finds the
-- runs of a time range through it. rid_span (GiST) finds the run of a version; leaf_range (GiST)
-- the runs of a window. The view provenance_leaf shows a row per leaf, for reading by hand: its
-- filters are not pushed into the runs.
CREATE TABLE provenance_leaf_run (
  first_leaf bigint PRIMARY KEY,
  leaf_count integer NOT NULL,
  first_seq bigint NOT NULL,
  last_seq bigint NOT NULL,
  rids bigint[] NOT NULL,
  versions integer[] NOT NULL,
  rid_span int8multirange NOT NULL,
  salts bytea NOT NULL,
  leaves bytea NOT NULL,
  subjects text[] NOT NULL,
  subject_at integer[] NOT NULL,
  generated integer[] NOT NULL DEFAULT '{}',
  committed_ms bigint[] NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
-- Random bytes and hashes: compression cannot succeed, so it is not tried.
ALTER TABLE provenance_leaf_run ALTER COLUMN salts SET STORAGE EXTERNAL, ALTER COLUMN leaves SET STORAGE EXTERNAL;
CREATE INDEX provenance_leaf_run_rids ON provenance_leaf_run USING gist (rid_span);
CREATE INDEX provenance_leaf_run_range ON provenance_leaf_run USING gist (int8range(first_leaf, first_leaf + leaf_count));
CREATE INDEX provenance_leaf_run_seq ON provenance_leaf_run (last_seq);

-- Counts $erase requests (server/provenance/leaf-recorder.ts): a sequence because its value is
-- read as it is, not as of a snapshot, so an insert waiting for an erasure's lock sees its count.
CREATE SEQUENCE provenance_erasure_epoch;

-- Existing leaves become runs of up to 1,000 consecutive numbers (a number missing from the old
-- table, which only a hand edit could cause, ends a run). Their outbox range comes from the
-- outbox rows of their versions; a run none of whose versions is left there (erased) spans
-- everything the consumer had passed, which only makes audits read it more often.
INSERT INTO provenance_leaf_run (first_leaf, leaf_count, first_seq, last_seq, rids, versions, rid_span, salts, leaves, subjects, subject_at, generated, committed_ms, created_at)
WITH numbered AS (
  SELECT l.*, o.seq, l.leaf_no - row_number() OVER (ORDER BY l.leaf_no) AS island
    FROM provenance_leaf l LEFT JOIN outbox o ON o.rid = l.rid AND o.version = l.version),
grouped AS (
  SELECT n.*, (row_number() OVER (PARTITION BY n.island ORDER BY n.leaf_no) - 1) / 1000 AS chunk FROM numbered n),
leaves AS (
  SELECT g.*, min(g.leaf_no) OVER (PARTITION BY g.island, g.chunk) AS run_first FROM grouped g),
subjects AS (
  SELECT run_first, coalesce(array_agg(DISTINCT subject) FILTER (WHERE subject IS NOT NULL), '{}') AS names FROM leaves GROUP BY run_first)
SELECT l.run_first, count(*),
       coalesce(min(l.seq), 0),
       coalesce(max(l.seq), (SELECT coalesce(max(seq), 0) FROM outbox_cursor)),
       array_agg(l.rid ORDER BY l.leaf_no),
       array_agg(l.version ORDER BY l.leaf_no),
       coalesce(range_agg(int8range(l.rid, l.rid, '[]')) FILTER (WHERE l.rid IS NOT NULL), '{}'),
       string_agg(coalesce(l.salt, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea), ''::bytea ORDER BY l.leaf_no),
       string_agg(l.leaf, ''::bytea ORDER BY l.leaf_no),
       s.names,
       array_agg(array_position(s.names, l.subject) ORDER BY l.leaf_no),
       coalesce(array_agg((l.leaf_no - l.run_first + 1)::integer ORDER BY l.leaf_no) FILTER (WHERE l.generated), '{}'),
       array_agg((extract(epoch FROM l.committed_at) * 1000)::bigint ORDER BY l.leaf_no),
       min(l.created_at)
  FROM leaves l JOIN subjects s ON s.run_first = l.run_first
 GROUP BY l.run_first, s.names;

DROP TABLE provenance_leaf;

CREATE VIEW provenance_leaf AS
SELECT r.first_leaf + u.i - 1 AS leaf_no, u.rid, u.version,
       CASE WHEN u.rid IS NOT NULL THEN substring(r.salts FROM (u.i::integer - 1) * 32 + 1 FOR 32) END AS salt,
       substring(r.leaves FROM (u.i::integer - 1) * 32 + 1 FOR 32) AS leaf,
       r.subjects[u.s] AS subject,
       u.i = ANY (r.generated) AS generated,
       to_timestamp(u.committed / 1000.0) AS committed_at,
       r.created_at,
       u.rid IS NULL AS erased
  FROM provenance_leaf_run r
 CROSS JOIN LATERAL unnest(r.rids, r.versions, r.subject_at, r.committed_ms) WITH ORDINALITY AS u(rid, version, s, committed, i);
