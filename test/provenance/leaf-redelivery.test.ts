import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import { createLogger } from '../../server/log.ts';
import { PROVENANCE_CONSUMER, provenancePipeline } from '../../server/provenance/provenance-feature.ts';
import { startServer } from '../../server/start.ts';
import { createTestDatabase, postgresAvailable } from '../helpers/postgres.ts';
import { fhirRequest, tempDir } from '../helpers/test-server.ts';
import { heartRate, parameterValue, transaction } from './fhir-fixtures.ts';

const withPostgres = await postgresAvailable();

/**
 * The leaf recorder's outbox delivery is at-least-once: after a crash it replays from its durable
 * cursor, so a batch can arrive again, whole or overlapping new versions. A version keeps its first
 * leaf (salt and number), the new versions of an overlapping batch get theirs, and the numbering
 * stays dense — whichever statement the recorder took.
 */
describe.each([
  ['PGlite', false],
  ['PostgreSQL', true],
] as const)('provenance leaves delivered again (%s)', (_name, postgres) => {
  it.skipIf(postgres && !withPostgres)('keep their first salt and number; new versions in the same batch get the next numbers', async () => {
    const dataDir = tempDir('prov-redeliver');
    const database = postgres ? await createTestDatabase() : undefined;
    const env = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATA_DIR: dataDir, RISK_SCORING: 'off', ANCHOR_WINDOW_LEAVES: '25', ANCHOR_WINDOW_SECONDS: '0.2', ...(database ? { DATABASE_URL: database.url } : {}) };
    const start = () => startServer(loadConfig(env, []), createLogger('silent'));
    try {
      let server = await start();
      let url = `http://127.0.0.1:${server.port}/fhir`;
      const first = await fhirRequest(url, 'POST', '', transaction(Array.from({ length: 40 }, (_, i) => heartRate('r1', i))));
      expect(first.status).toBe(200);
      await provenancePipeline(server.services)!.settled();
      const before = (await server.services.db.query<{ leaf_no: string; rid: string; version: number; salt: Buffer; leaf: Buffer }>('SELECT leaf_no, rid, version, salt, leaf FROM provenance_leaf ORDER BY leaf_no')).rows;
      expect(before.length).toBeGreaterThanOrEqual(40);
      // As if the process had died before its cursor moved: everything since the first commit comes
      // again, in one batch with versions written meanwhile (by a process without provenance).
      await server.services.db.query('UPDATE outbox_cursor SET seq = 0 WHERE consumer = $1', [PROVENANCE_CONSUMER]);
      await server.close();
      server = await startServer(loadConfig({ ...env, PROVENANCE: 'off' }, []), createLogger('silent'));
      const offUrl = `http://127.0.0.1:${server.port}/fhir`;
      const second = await fhirRequest(offUrl, 'POST', '', transaction(Array.from({ length: 30 }, (_, i) => heartRate('r2', 100 + i))));
      expect(second.status).toBe(200);
      // Window Provenances written while provenance was on are still found by target with it off.
      const firstReading = first.json.entry[0].response.location.split('/_history')[0];
      const found = (await fhirRequest(offUrl, 'GET', `Provenance?target=${firstReading}`)).json.entry.map((e: any) => e.resource.id);
      expect(found.filter((id: string) => id.startsWith('vc-window-'))).toHaveLength(1);
      await server.close();

      server = await start();
      url = `http://127.0.0.1:${server.port}/fhir`;
      try {
        await provenancePipeline(server.services)!.settled();
        const db = server.services.db;
        const after = (await db.query<{ leaf_no: string; rid: string; version: number; salt: Buffer; leaf: Buffer }>('SELECT leaf_no, rid, version, salt, leaf FROM provenance_leaf ORDER BY leaf_no')).rows;
        // Every leaf recorded before is still there, unchanged, under its number.
        expect(after.slice(0, before.length)).toEqual(before);
        // One leaf per stored version, numbered 1..n without a gap.
        const { rows: versions } = await db.query<{ n: string }>('SELECT count(*) AS n FROM resource_version WHERE content IS NOT NULL');
        expect(after.length).toBe(Number(versions[0].n));
        expect(after.map((l) => Number(l.leaf_no))).toEqual(after.map((_, i) => i + 1));
        expect(new Set(after.map((l) => `${l.rid}/${l.version}`)).size).toBe(after.length);
        // And the new versions verify end to end.
        for (const entry of [second.json.entry[0], second.json.entry[29]]) {
          const id = entry.response.location.split('/')[1];
          expect(parameterValue((await fhirRequest(url, 'GET', `Observation/${id}/$verify`)).json, 'verified')).toBe(true);
        }
      } finally {
        await server.close();
      }
    } finally {
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
