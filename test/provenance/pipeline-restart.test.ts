import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import { createLogger } from '../../server/log.ts';
import { provenancePipeline } from '../../server/provenance/provenance-feature.ts';
import { startServer } from '../../server/start.ts';
import { startChildServer } from '../helpers/child-server.ts';
import { fhirRequest, tempDir } from '../helpers/test-server.ts';
import { heartRate, parameterValue, transaction } from './fhir-fixtures.ts';

describe('provenance pipeline across kill -9 (embedded default)', () => {
  it('a server killed mid-pipeline resumes after restart: no leaf lost, no window anchored twice', async () => {
    const dataDir = tempDir('prov-kill');
    const env = { DATA_DIR: dataDir, ANCHOR_WINDOW_LEAVES: '10', ANCHOR_WINDOW_SECONDS: '0.2', RISK_SCORING: 'off' };
    const started = new Date(Date.now() - 60_000);
    try {
      const child = await startChildServer(env);
      const ids: string[] = [];
      for (let batch = 0; batch < 3; batch++) {
        const reply = await fhirRequest(child.url, 'POST', '', transaction(Array.from({ length: 60 }, (_, i) => heartRate('k1', batch * 60 + i))));
        expect(reply.status).toBe(200);
        ids.push(...reply.json.entry.map((e: any) => e.response.location.split('/')[1]));
      }
      // Pull the plug as soon as the first window is anchored: the others are open, built or in flight.
      for (let i = 0; i < 400; i++) {
        if (parameterValue((await fhirRequest(child.url, 'GET', `Observation/${ids[0]}/$verify`)).json, 'verified')) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await child.kill('SIGKILL');

      const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env }, []);
      const server = await startServer(config, createLogger('silent'));
      const db = server.services.db;
      let windows: { status: string }[] = [];
      try {
        const before = await db.query<{ status: string }>('SELECT DISTINCT status FROM provenance_window');
        expect(before.rows.map((r) => r.status)).toContain('anchored');
        expect(before.rows.length).toBeGreaterThan(1);
        await provenancePipeline(server.services)!.settled();

        const { rows: unleafed } = await db.query(`SELECT v.rid FROM resource_version v WHERE v.content IS NOT NULL AND NOT EXISTS (SELECT 1 FROM provenance_leaf l WHERE l.rid = v.rid AND l.version = v.version)`);
        expect(unleafed).toEqual([]);
        const { rows: leafCount } = await db.query<{ n: string; max: string }>('SELECT count(*) AS n, max(leaf_no) AS max FROM provenance_leaf');
        expect(Number(leafCount[0].max)).toBe(Number(leafCount[0].n));
        windows = (await db.query<{ status: string; root: Buffer }>('SELECT status, root FROM provenance_window ORDER BY window_id')).rows;
        expect(windows.every((w) => w.status === 'anchored')).toBe(true);
        const anchors = await (await provenancePipeline(server.services)!.backends.ledger()).anchorsInRange({ fromBlock: 0 });
        const roots = anchors.map((a) => a.root);
        expect(new Set(roots).size).toBe(roots.length);
        expect(roots.length).toBe(windows.length);
        const url = `http://127.0.0.1:${server.port}/fhir`;
        for (const id of [ids[0], ids[90], ids[179]]) {
          expect(parameterValue((await fhirRequest(url, 'GET', `Observation/${id}/$verify`)).json, 'verified')).toBe(true);
        }
        // The ledger audit finds every anchored leaf in place, each window matched with one anchor.
        const audit = await fhirRequest(url, 'GET', `$audit?from=${started.toISOString()}`);
        expect(audit.json.parameter.filter((p: any) => p.name === 'finding')).toEqual([]);
        expect(parameterValue(audit.json, 'windowsChecked')).toBe(windows.length);
        expect(parameterValue(audit.json, 'ok')).toBe(true);
      } finally {
        await server.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
