-- Composite parameters (e.g. Observation code-value-quantity): one row per combination of
-- component values taken from the same element. The first component is a token (or a
-- reference: system = target type, code = target id); the others fill the columns of their type.
CREATE TABLE idx_composite (
  rid bigint NOT NULL, pid integer NOT NULL,
  k_system text, k_code text,
  t_system text, t_code text,
  q_value numeric, q_system text, q_code text, q_unit text, q_canonical_code text, q_canonical_value numeric,
  n1 numeric, n2 numeric,
  s_value text,
  d_low timestamptz, d_high timestamptz
);
CREATE INDEX idx_composite_key ON idx_composite (pid, k_code, k_system);
CREATE INDEX idx_composite_rid ON idx_composite (rid);

-- Identifier types, for token :of-type (type system|code|identifier value).
CREATE TABLE idx_identifier_type (rid bigint NOT NULL, pid integer NOT NULL, type_system text, type_code text, value text);
CREATE INDEX idx_identifier_type_value ON idx_identifier_type (pid, value, type_code);
CREATE INDEX idx_identifier_type_rid ON idx_identifier_type (rid);

-- The device-data fast path: Observations by subject, code and effective time, one row per
-- coding of Observation.code. group_* is the first coding, which $lastn groups by.
CREATE TABLE idx_observation (
  rid bigint NOT NULL,
  subject_type text, subject_id text NOT NULL,
  system text, code text,
  group_system text, group_code text,
  low timestamptz, high timestamptz
);
CREATE INDEX idx_observation_subject_code ON idx_observation (subject_id, code, low DESC);
CREATE INDEX idx_observation_rid ON idx_observation (rid);
