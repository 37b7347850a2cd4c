import { rmSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchParameters } from '../../server/fhir/search/definitions/search-parameters.ts';
import { KeySubjects } from '../../server/provenance/key-subject.ts';
import { leafHash } from '../../server/provenance/leaf.ts';
import { LeafRecorder } from '../../server/provenance/leaf-recorder.ts';
import { Sealer } from '../../server/provenance/sealer.ts';
import type { Database, Queryable } from '../../server/store/database.ts';
import { migrate } from '../../server/store/migrate.ts';
import type { OutboxEvent } from '../../server/store/outbox.ts';
import { PgliteDatabase } from '../../server/store/pglite-database.ts';
import { PostgresDatabase } from '../../server/store/postgres-database.ts';
import { createTestDatabase, postgresAvailable } from '../helpers/postgres.ts';
import { tempDir } from '../helpers/test-server.ts';

const withPostgres = await postgresAvailable();

/**
 * A version erased between the consumer reading its batch and recording it gets a bare leaf: the
 * recorder writes a batch without looking its versions up only while the count of erasures is the
 * one it saw last, and an erasure counts itself under a lock the recorder's insert waits for.
 */
describe.each([
  ['PGlite', false],
  ['PostgreSQL', true],
] as const)('leaves of versions erased after their batch was read (%s)', (_name, postgres) => {
  const subjects = new KeySubjects(searchParameters(), 'http://localhost/fhir');
  const sealer = new Sealer(subjects);
  let db: Database;
  let recorder: LeafRecorder;
  let database: { url: string; drop(): Promise<void> } | undefined;
  const dataDir = tempDir('prov-recorder-erasure');
  let next = 0;

  beforeAll(async () => {
    if (postgres && !withPostgres) return;
    database = postgres ? await createTestDatabase() : undefined;
    db = database ? await PostgresDatabase.open(database.url, 2) : await PgliteDatabase.open(dataDir);
    await migrate(db);
    recorder = new LeafRecorder(db, subjects, sealer);
  }, 60_000);

  afterAll(async () => {
    await sealer.close();
    await db?.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A committed Observation as the write path leaves it: resource, version and outbox rows, its content handed to the sealer. */
  async function commit(): Promise<OutboxEvent & { json: string }> {
    const n = ++next;
    const id = `o${n}`;
    const lastUpdated = new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();
    const resource = { resourceType: 'Observation', id, status: 'final', code: { text: 'heart rate' }, subject: { reference: 'Patient/p' }, valueQuantity: { value: 60 + n } };
    const json = JSON.stringify({ ...resource, meta: { versionId: '1', lastUpdated } });
    const [{ rid }] = (await db.query<{ rid: string }>(`INSERT INTO resource (type, id, version, last_updated) VALUES ('Observation', $1, 1, $2) RETURNING rid`, [id, lastUpdated])).rows;
    await db.query(`INSERT INTO resource_version (rid, version, last_updated, method, content) VALUES ($1, 1, $2, 'POST', $3)`, [rid, lastUpdated, json]);
    const [{ seq }] = (await db.query<{ seq: string }>(`INSERT INTO outbox (seq, commit_id, rid, type, id, version, action, last_updated) VALUES (nextval('outbox_seq'), $1, $2, 'Observation', $3, 1, 'create', $4) RETURNING seq`, [n, rid, id, lastUpdated])).rows;
    sealer.hold([{ type: 'Observation', id, rid: Number(rid), version: 1, lastUpdated, json, resource, action: 'create', created: true }]);
    return { seq: Number(seq), commitId: n, rid: Number(rid), type: 'Observation', id, version: 1, action: 'create', lastUpdated, json };
  }

  /** What $erase does first, then the version it expunges. */
  async function erase(tx: Queryable, rid: number): Promise<void> {
    await tx.query('LOCK TABLE provenance_leaf_run IN SHARE ROW EXCLUSIVE MODE');
    await tx.query(`SELECT nextval('provenance_erasure_epoch')`);
    await tx.query('DELETE FROM resource_version WHERE rid = $1', [rid]);
  }

  async function leafOf(event: { rid: number }, leafNo: number) {
    const { rows } = await db.query<{ rid: string | null; version: number | null; salt: Uint8Array | null; leaf: Uint8Array; subject: string | null }>(
      'SELECT rid, version, salt, leaf, subject FROM provenance_leaf WHERE leaf_no = $1',
      [leafNo],
    );
    return rows[0]!;
  }

  it.skipIf(postgres && !withPostgres)('a version erased before the insert gets a bare leaf, its neighbours theirs', async () => {
    const first = await commit();
    expect(await recorder.record([first])).toBe(1);
    const [gone, kept] = [await commit(), await commit()];
    await db.transaction((tx) => erase(tx, gone.rid));
    expect(await recorder.record([gone, kept])).toBe(2);

    const bare = await leafOf(gone, 2);
    expect([bare.rid, bare.version, bare.salt, bare.subject]).toEqual([null, null, null, null]);
    const full = await leafOf(kept, 3);
    expect(Number(full.rid)).toBe(kept.rid);
    expect(full.subject).toBe('Patient/p');
    expect(leafHash(Buffer.from(full.salt!), Buffer.from(kept.json)).equals(Buffer.from(full.leaf))).toBe(true);
    // Without an erasure since, the next batch keeps every version.
    const later = await commit();
    expect(await recorder.record([later])).toBe(1);
    expect(Number((await leafOf(later, 4)).rid)).toBe(later.rid);
  });

  // PGlite runs one statement at a time: an erasure cannot be in progress while the recorder inserts.
  if (postgres) it.skipIf(!withPostgres)('an insert that waits for an erasure in progress sees it', async () => {
    const [gone, kept] = [await commit(), await commit()];
    const client = new pg.Client({ connectionString: database!.url });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query('LOCK TABLE provenance_leaf_run IN SHARE ROW EXCLUSIVE MODE');
      await client.query(`SELECT nextval('provenance_erasure_epoch')`);
      let settled = false;
      const recording = recorder.record([gone, kept]).finally(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(settled).toBe(false);
      await client.query('DELETE FROM resource_version WHERE rid = $1', [gone.rid]);
      await client.query('COMMIT');
      expect(await recording).toBe(2);
    } finally {
      await client.end();
    }
    const { rows } = await db.query<{ rid: string | null }>('SELECT rid FROM provenance_leaf ORDER BY leaf_no DESC LIMIT 2');
    expect(rows.map((row) => (row.rid === null ? null : Number(row.rid)))).toEqual([kept.rid, null]);
  });
});
