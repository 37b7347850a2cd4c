import { expect } from 'vitest';
import { describeMigration } from '../helpers/database-before.ts';

/**
 * Migration 110 turns the bundle rows of an existing database into one row per window: every
 * bundle keeps its window, CID and key subject (NULL where the patient was erased), the view
 * provenance_bundle shows them as before, and a patient's windows are found through the new index.
 */
describeMigration(110, 'bundle rows migrated to one row per window', 'keeps every bundle of every window', async (database) => {
  const { db } = database;

  const old: Array<{ window_id: number; cid: string; subject: string | null }> = [];
  for (let window = 1; window <= 4; window++) {
    for (let p = 0; p < 5; p++) old.push({ window_id: window, cid: `bafy-w${window}-p${p}`, subject: window === 2 && p === 3 ? null : p === 4 ? '#shared' : `Patient/p${p}` });
  }
  await db.query('INSERT INTO provenance_bundle (window_id, cid, subject) SELECT * FROM unnest($1::int8[], $2::text[], $3::text[])', [old.map((b) => b.window_id), old.map((b) => b.cid), old.map((b) => b.subject)]);

  expect(await database.migrateRest()).toContain('110-window-bundle-arrays');

  const { rows } = await db.query<{ window_id: string; cid: string; subject: string | null }>('SELECT window_id, cid, subject FROM provenance_bundle ORDER BY window_id, cid');
  expect(rows.map((r) => ({ ...r, window_id: Number(r.window_id) }))).toEqual(old);
  const { rows: windows } = await db.query<{ window_id: string }>(`SELECT window_id FROM provenance_window_bundle WHERE subjects @> ARRAY['Patient/p3'] ORDER BY window_id`);
  expect(windows.map((w) => Number(w.window_id))).toEqual([1, 3, 4]);
  const { rows: one } = await db.query<{ cid: string }>('SELECT cid FROM provenance_bundle WHERE window_id = $1 AND subject = $2', [3, 'Patient/p1']);
  expect(one).toEqual([{ cid: 'bafy-w3-p1' }]);
});
