-- Provenance pipeline state (server/provenance). Written by the outbox consumer and the anchor
-- worker in their own transactions; everything a restart needs is here, nothing only in memory.

-- One leaf per committed resource version, numbered densely in outbox order by the consumer (the
-- only writer). An anchor window is a contiguous range of leaf numbers, so assigning leaves to
-- windows never rewrites leaf rows. The salt is drawn when the leaf is computed and kept with it.
-- Erasure keeps the leaf (it is anchored) and clears everything that names the version.
CREATE TABLE provenance_leaf (
  leaf_no bigint PRIMARY KEY,
  seq bigint NOT NULL,
  rid bigint,
  version integer,
  type text,
  id text,
  salt bytea,
  leaf bytea NOT NULL,
  -- Key subject of the version's bundle: 'Patient/<id>' or '#shared'.
  subject text,
  -- Written by the pipeline itself (window Provenance): such leaves alone never open a Provenance.
  generated boolean NOT NULL DEFAULT false,
  committed_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  erased boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX provenance_leaf_version ON provenance_leaf (rid, version);
CREATE INDEX provenance_leaf_subject ON provenance_leaf (subject);

-- Anchor windows: status open (leaves assigned) -> built (bundles and manifest stored) ->
-- anchored (root on-chain, recorded in the same transaction as the window's Provenance). Before
-- sending, the root is looked up from the block of the last anchor recorded: a transaction whose
-- result a crash lost can only have landed after it, so a window is anchored once.
CREATE TABLE provenance_window (
  window_id bigint PRIMARY KEY,
  first_leaf bigint NOT NULL,
  last_leaf bigint NOT NULL,
  status text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  needs_provenance boolean NOT NULL,
  root bytea,
  manifest_cid text,
  built_at timestamptz,
  chain_id bigint,
  contract text,
  tx_hash text,
  block_number bigint,
  block_time timestamptz,
  anchored_at timestamptz
);
CREATE INDEX provenance_window_status ON provenance_window (status, window_id);
CREATE INDEX provenance_window_first_leaf ON provenance_window (first_leaf);
CREATE INDEX provenance_window_root ON provenance_window (root);
CREATE INDEX provenance_window_block_time ON provenance_window (block_time);
CREATE INDEX provenance_window_block ON provenance_window (chain_id, block_number);

-- The encrypted bundles of a window, one per key subject (subject cleared on erasure).
CREATE TABLE provenance_bundle (
  window_id bigint NOT NULL,
  cid text NOT NULL,
  subject text,
  PRIMARY KEY (window_id, cid)
);
CREATE INDEX provenance_bundle_subject ON provenance_bundle (window_id, subject);

-- The ProvenanceAnchor contract this server deployed on a JSON-RPC chain (ETH_RPC_URL without
-- ANCHOR_CONTRACT), so a restart reuses it instead of deploying again.
CREATE TABLE provenance_contract (
  chain_id bigint NOT NULL,
  operator text NOT NULL,
  contract text NOT NULL,
  deploy_block bigint NOT NULL,
  PRIMARY KEY (chain_id, operator)
);

-- Source payloads of device ingest requests. The payload is sealed under a fresh data key inside
-- the ingest transaction (its CID is named by the request's Provenance); the anchor worker then
-- stores the sealed bytes in the content store and wraps the data key under each patient's key,
-- clearing `sealed` and `dek`. Erasing a patient deletes the rows that wrap for them.
CREATE TABLE provenance_ingest_source (
  source_id text PRIMARY KEY,
  received_at timestamptz NOT NULL,
  cid text NOT NULL,
  provenance_id text NOT NULL,
  targets text[] NOT NULL,
  sealed bytea,
  dek bytea,
  -- {subject: base64 AES-KW(patient key, dek)} once stored.
  wrapped_deks jsonb,
  stored_at timestamptz
);
CREATE INDEX provenance_ingest_pending ON provenance_ingest_source (received_at) WHERE stored_at IS NULL;

-- Resources expunged by $erase, by SHA-256 of "Type/id": $verify says "erased" instead of "not found".
CREATE TABLE provenance_erasure (
  key_hash bytea PRIMARY KEY,
  erased_at timestamptz NOT NULL,
  versions integer NOT NULL
);
