import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import { createLogger } from '../../server/log.ts';
import { startServer } from '../../server/start.ts';
import type { OutboxEvent } from '../../server/store/outbox.ts';
import { startChildServer } from '../helpers/child-server.ts';
import { createTestDatabase, postgresAvailable } from '../helpers/postgres.ts';
import { fhirRequest, startTestServer, tempDir } from '../helpers/test-server.ts';

describe('transactional outbox', () => {
  it('delivers every event in commit order, at least once, resuming from its durable cursor', async () => {
    const s = await startTestServer('pglite');
    try {
      await s.fhir('PUT', 'Patient/ob', { resourceType: 'Patient', id: 'ob', gender: 'male' });
      const seen: OutboxEvent[] = [];
      let failOnce = true;
      const consumer = s.server.outbox.subscribe('test-consumer', async (events) => {
        if (failOnce) {
          failOnce = false;
          throw new Error('transient failure');
        }
        seen.push(...events);
      }, { idleMs: 50, retryMs: 20, batchSize: 2 });
      await s.fhir('PUT', 'Patient/ob', { resourceType: 'Patient', id: 'ob', gender: 'female' });
      await s.fhir('DELETE', 'Patient/ob');
      await s.fhir('POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: 'x' } });
      await consumer.drained();
      expect(seen.map((e) => `${e.type}/${e.id}@${e.version}:${e.action}`).slice(0, 3)).toEqual(['Patient/ob@1:create', 'Patient/ob@2:update', 'Patient/ob@3:delete']);
      expect(seen).toHaveLength(4);
      expect(seen.map((e) => e.seq)).toEqual([...seen.map((e) => e.seq)].sort((a, b) => a - b));
      await consumer.stop();
      expect(await s.server.outbox.cursor('test-consumer')).toBe(seen[3].seq);
      await s.fhir('POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: 'y' } });
      const resumed: OutboxEvent[] = [];
      const again = s.server.outbox.subscribe('test-consumer', async (events) => void resumed.push(...events), { idleMs: 50 });
      await again.drained();
      expect(resumed).toHaveLength(1);
      expect(resumed[0].seq).toBeGreaterThan(seen[3].seq);
      await again.stop();
    } finally {
      await s.close();
    }
  });

  it('skips past events of types a consumer does not need, stopping at the first one it does', async () => {
    const s = await startTestServer('pglite');
    try {
      await s.fhir('PUT', 'Patient/only-a', { resourceType: 'Patient', id: 'only-a' });
      const batches: Array<{ events: string[]; resumed: boolean }> = [];
      let wantsAll = false;
      const consumer = s.server.outbox.subscribe(
        'test-only',
        async (events, batch) => {
          batches.push({ events: events.map((e) => `${e.type}/${e.id}`), resumed: batch.resumed });
          if (events.some((e) => e.type === 'Device')) wantsAll = true;
        },
        { idleMs: 20, only: () => (wantsAll ? undefined : ['Device']) },
      );
      await consumer.drained();
      // The first batch after taking the consumer is read whole, whatever the handler wants.
      expect(batches).toEqual([{ events: ['Patient/only-a'], resumed: true }]);
      await s.fhir('PUT', 'Patient/only-b', { resourceType: 'Patient', id: 'only-b' });
      await s.fhir('PUT', 'Patient/only-c', { resourceType: 'Patient', id: 'only-c' });
      await consumer.drained();
      expect(batches).toHaveLength(1);
      const head = await s.server.outbox.headSeq();
      expect(await s.server.outbox.cursor('test-only')).toBe(head);
      // One transaction: the Device is the batch's end, so the Patient after it still arrives.
      const bundle = await s.fhir('POST', '', {
        resourceType: 'Bundle', type: 'transaction',
        entry: [
          { request: { method: 'PUT', url: 'Patient/only-d' }, resource: { resourceType: 'Patient', id: 'only-d' } },
          { request: { method: 'PUT', url: 'Device/only-e' }, resource: { resourceType: 'Device', id: 'only-e' } },
          { request: { method: 'PUT', url: 'Patient/only-f' }, resource: { resourceType: 'Patient', id: 'only-f' } },
        ],
      });
      expect(bundle.status).toBe(200);
      await consumer.drained();
      expect(batches.slice(1)).toEqual([
        { events: ['Device/only-e'], resumed: false },
        { events: ['Patient/only-f'], resumed: false },
      ]);
      await consumer.stop();
    } finally {
      await s.close();
    }
  });

  it('reads events field by field even when a row changed by hand holds the separator of its joined read', async () => {
    const s = await startTestServer('pglite');
    try {
      for (const id of ['sep-a', 'sep-b', 'sep-c']) await s.fhir('PUT', `Patient/${id}`, { resourceType: 'Patient', id });
      const before = await s.server.outbox.read(0, 10);
      const mine = before.filter((e) => e.id.startsWith('sep-'));
      expect(mine.map((e) => `${e.type}/${e.id}@${e.version}:${e.action}`)).toEqual(['Patient/sep-a@1:create', 'Patient/sep-b@1:create', 'Patient/sep-c@1:create']);
      expect(mine.every((e) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(e.lastUpdated) && e.rid > 0 && e.commitId > 0)).toBe(true);
      // No id the server accepts holds a comma; a row edited in the database can.
      await s.server.services.db.query(`UPDATE outbox SET id = 'sep,b' WHERE id = 'sep-b'`);
      const after = await s.server.outbox.read(0, 10);
      expect(after.map((e) => e.id)).toEqual(before.map((e) => (e.id === 'sep-b' ? 'sep,b' : e.id)));
      expect(after.map((e) => [e.seq, e.rid, e.version, e.action, e.lastUpdated])).toEqual(before.map((e) => [e.seq, e.rid, e.version, e.action, e.lastUpdated]));
    } finally {
      await s.close();
    }
  });

  it('numbers each commit’s events consecutively, in write order, under concurrent commits (postgres)', async (t) => {
    if (!(await postgresAvailable())) return t.skip();
    const s = await startTestServer('postgres');
    try {
      const bundle = (n: number) => ({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: Array.from({ length: 6 }, (_, i) => ({
          request: { method: 'PUT', url: `Observation/c${n}-${i}` },
          resource: { resourceType: 'Observation', id: `c${n}-${i}`, status: 'final', code: { text: `c${n}` } },
        })),
      });
      for (let round = 0; round < 3; round++) {
        const replies = await Promise.all(Array.from({ length: 8 }, (_, n) => s.fhir('POST', '', bundle(round * 8 + n))));
        expect(replies.map((reply) => reply.status)).toEqual(Array(8).fill(200));
      }
      const { rows } = await s.server.services.db.query<{ seq: number; commit_id: number; id: string }>(`SELECT seq, commit_id, id FROM outbox WHERE type = 'Observation' ORDER BY seq`);
      expect(rows).toHaveLength(24 * 6);
      const commits = new Map<number, typeof rows>();
      for (const row of rows) commits.set(row.commit_id, [...(commits.get(row.commit_id) ?? []), row]);
      expect(commits.size).toBe(24);
      for (const [commitId, events] of commits) {
        // No other commit's event between them: the numbers were drawn under the commit-order lock.
        expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => commitId + i));
        const bundleOf = events[0].id.split('-')[0];
        expect(events.map((e) => e.id)).toEqual(events.map((_, i) => `${bundleOf}-${i}`));
      }
    } finally {
      await s.close();
    }
  });

  const backends = ['pglite', 'postgres'] as const;
  for (const backend of backends) {
    it(`loses no acknowledged write and no event across kill -9 in a write stream (${backend})`, async (t) => {
      if (backend === 'postgres' && !(await postgresAvailable())) return t.skip();
      const dataDir = tempDir('kill');
      const database = backend === 'postgres' ? await createTestDatabase() : undefined;
      const env: Record<string, string> = { DATA_DIR: dataDir, ...(database ? { DATABASE_URL: database.url } : {}) };
      try {
        const child = await startChildServer(env);
        // One write first: the window below measures a server that is up, not one still starting.
        expect((await fhirRequest(child.url, 'POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: 'warm-up' } })).status).toBe(201);
        const acknowledged = new Set<string>();
        let stop = false;
        const writer = async (n: number) => {
          for (let i = 0; !stop; i++) {
            try {
              const reply = await fhirRequest(child.url, 'POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: `w${n}-${i}` } });
              if (reply.status === 201) acknowledged.add(reply.json.id);
            } catch {
              return; // connection refused/reset once the process is gone
            }
          }
        };
        const writers = [0, 1, 2, 3].map(writer);
        await new Promise((r) => setTimeout(r, 2000));
        await child.kill('SIGKILL');
        stop = true;
        await Promise.all(writers);
        expect(acknowledged.size).toBeGreaterThan(10);

        // Reopen the same data in-process and read the outbox through the consumer API.
        const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env }, []);
        const server = await startServer(config, createLogger('silent'));
        try {
          for (const id of acknowledged) {
            const read = await fhirRequest(`http://127.0.0.1:${server.port}/fhir`, 'GET', `Observation/${id}`);
            expect(read.status, `acknowledged Observation/${id} must survive`).toBe(200);
          }
          const events: OutboxEvent[] = [];
          const consumer = server.outbox.subscribe('kill-test', async (batch) => void events.push(...batch), { idleMs: 50 });
          await consumer.drained();
          await consumer.stop();
          const evented = new Set(events.map((e) => e.id));
          for (const id of acknowledged) expect(evented.has(id), `event for Observation/${id}`).toBe(true);
          const seqs = events.map((e) => e.seq);
          expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
          // Every committed version has its event (nothing committed without one).
          const { rows } = await server.services.db.query<{ n: number }>('SELECT count(*)::int AS n FROM resource_version');
          expect(events.length).toBe(rows[0].n);
        } finally {
          await server.close();
        }
      } finally {
        await database?.drop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    }, 180_000);
  }
});

afterAll(() => undefined);
