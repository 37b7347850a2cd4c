-- $lastn: one row per Observation (the row of its first coding, which $lastn groups by), ordered
-- for a skip scan over a subject's distinct codes and a top-N probe per code. Without it $lastn
-- read and ranked every reading of the patient (thousands for a device-monitored one).
-- NULL systems and codes become '' so the skip scan's row comparison never meets a NULL.
CREATE INDEX idx_observation_lastn ON idx_observation
  (subject_id, (coalesce(group_system, '')), (coalesce(group_code, '')), high DESC NULLS LAST, rid DESC)
  WHERE system IS NOT DISTINCT FROM group_system AND code IS NOT DISTINCT FROM group_code;
