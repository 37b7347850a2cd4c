import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { OutboxEvent } from '../../server/store/outbox.ts';
import { startChildServer } from '../helpers/child-server.ts';
import { postgresAvailable } from '../helpers/postgres.ts';
import { fhirRequest, startTestServer, tempDir, type TestServer } from '../helpers/test-server.ts';

/**
 * A consumer that reads every event gets this process's own commits from memory
 * (outbox-local-feed.ts) and everything else from the table: the events it sees are exactly the
 * table's, in order, whichever way they came.
 */
describe('outbox events of this process read from memory', () => {
  const BATCH = 7;

  /**
   * A consumer that collects what it is handed, and counts its table reads that returned events
   * (its batch size tells them from other consumers'). Returned once it has consumed Patient/`id`,
   * written first, with `from` the count of events seen by then and the read count at zero.
   */
  async function observe(s: TestServer, id: string) {
    const outbox = s.server.outbox;
    const read = outbox.read.bind(outbox);
    const counts = { tableReadsWithEvents: 0 };
    outbox.read = async (...args: Parameters<typeof read>) => {
      const events = await read(...args);
      if (events.length > 0 && args[1] === BATCH) counts.tableReadsWithEvents++;
      return events;
    };
    const seen: OutboxEvent[] = [];
    // No idle polls: a poll between a commit and its report here would read that commit from the
    // table (correct, and what the counts below would not tell apart). Commits wake the consumer.
    const consumer = outbox.subscribe('local-feed-test', async (events) => void seen.push(...events), { idleMs: 60_000, batchSize: BATCH });
    expect((await s.fhir('PUT', `Patient/${id}`, { resourceType: 'Patient', id })).status).toBe(201);
    await consumer.drained();
    counts.tableReadsWithEvents = 0;
    return { counts, seen, consumer, from: seen.length };
  }

  /** The table's events from `first` on, as the consumer API reads them. */
  async function tableFrom(s: TestServer, first: number): Promise<OutboxEvent[]> {
    return (await s.server.outbox.read(first - 1, 100_000)).filter((event) => event.seq >= first);
  }

  const bundle = (prefix: string, n: number) => ({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: Array.from({ length: n }, (_, i) => ({
      request: { method: 'PUT', url: `Observation/${prefix}-${i}` },
      resource: { resourceType: 'Observation', id: `${prefix}-${i}`, status: 'final', code: { text: prefix } },
    })),
  });

  for (const backend of ['pglite', 'postgres'] as const) {
    it(`hands over small and large commits from memory, equal to the table's events (${backend})`, async (t) => {
      if (backend === 'postgres' && !(await postgresAvailable())) return t.skip();
      const s = await startTestServer(backend, { PROVENANCE: 'off', RISK_SCORING: 'off' });
      try {
        const { counts, seen, consumer, from } = await observe(s, 'feed-0');

        // Small commits (events in the write statement), a large one (its own statement; COPY on
        // PGlite), an update and a delete: all from memory. Each is written once the consumer has
        // caught up: one still busy when a commit lands would look for more in the table, and
        // could find that commit there before its report reached the feed (correct, not counted apart).
        const writes = [
          () => s.fhir('POST', 'Patient', { resourceType: 'Patient', name: [{ family: 'Feed' }] }),
          () => s.fhir('POST', '', bundle('big', 45)),
          () => s.fhir('PUT', 'Patient/feed-0', { resourceType: 'Patient', id: 'feed-0', gender: 'other' }),
          () => s.fhir('DELETE', 'Patient/feed-0'),
        ];
        for (const write of writes) {
          expect([200, 201, 204]).toContain((await write()).status);
          await consumer.drained();
        }
        const sequential = seen.slice(from);
        expect(sequential).toHaveLength(1 + 45 + 1 + 1);
        expect(sequential).toEqual(await tableFrom(s, sequential[0]!.seq));
        expect(sequential.slice(-2).map((event) => `${event.id}@${event.version}:${event.action}`)).toEqual(['feed-0@2:update', 'feed-0@3:delete']);
        expect(counts.tableReadsWithEvents).toBe(0);

        // Concurrent commits, whose reports may come here out of order: whatever was not held yet is
        // read from the table, and nothing twice.
        const replies = await Promise.all(Array.from({ length: 6 }, (_, n) => s.fhir('POST', '', bundle(`par${n}`, 5))));
        expect(replies.map((reply) => reply.status)).toEqual(Array(6).fill(200));
        await consumer.drained();
        const all = seen.slice(from);
        expect(all).toHaveLength(48 + 30);
        expect(all).toEqual(await tableFrom(s, all[0]!.seq));
        await consumer.stop();
      } finally {
        await s.close();
      }
    }, 60_000);
  }

  it('reads another process’s commits and passes numbers no commit kept (postgres)', async (t) => {
    if (!(await postgresAvailable())) return t.skip();
    const s = await startTestServer('postgres', { PROVENANCE: 'off', RISK_SCORING: 'off' });
    const otherDir = tempDir('other-process');
    const other = await startChildServer({ DATA_DIR: otherDir, DATABASE_URL: s.databaseUrl!, PROVENANCE: 'off', RISK_SCORING: 'off' });
    try {
      const { counts, seen, consumer, from } = await observe(s, 'gap-0');

      // Each step starts with the consumer caught up and asleep, so what wakes it is known.
      expect((await s.fhir('POST', '', bundle('mine-a', 3))).status).toBe(200);
      await consumer.drained();
      // The other process's commit: its NOTIFY wakes the consumer, which finds nothing held here
      // and reads it from the table.
      expect((await fhirRequest(other.url, 'POST', '', bundle('theirs', 4))).status).toBe(200);
      await consumer.drained();
      // Numbers drawn by a transaction that rolled back (no event will ever hold them), then an event
      // committed elsewhere whose NOTIFY has not arrived (written here by hand, under the
      // commit-order lock as every writer numbers its events), then this process's commit: the
      // consumer holds that one, reads the positions before it from the table, and finds the
      // other event among the numbers no commit kept.
      await s.server.services.db
        .transaction(async (tx) => {
          await tx.query(`SELECT nextval('outbox_seq') FROM generate_series(1, 3)`);
          throw new Error('rolled back on purpose');
        })
        .catch(() => undefined);
      await s.server.services.db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(7341002)');
        await tx.query(`INSERT INTO outbox (seq, commit_id, rid, type, id, version, action, last_updated)
                        SELECT n, n, 999999, 'Patient', 'theirs-late', 1, 'create', now() FROM nextval('outbox_seq') AS n`);
      });
      expect((await s.fhir('POST', '', bundle('mine-b', 40))).status).toBe(200);
      await consumer.drained();

      const mine = seen.slice(from);
      expect(mine).toEqual(await tableFrom(s, mine[0]!.seq));
      expect(mine.map((event) => event.id.split('-')[0])).toEqual([...Array(3).fill('mine'), ...Array(4).fill('theirs'), 'theirs', ...Array(40).fill('mine')]);
      const positions = mine.map((event) => event.seq);
      expect(positions[7]! - positions[6]!).toBe(4); // the three numbers no commit kept lie before the late event
      // The other processes' events came from the table; this one's did not.
      expect(counts.tableReadsWithEvents).toBe(2);
      await consumer.stop();
    } finally {
      await other.kill('SIGTERM');
      await s.close();
      fs.rmSync(otherDir, { recursive: true, force: true });
    }
  }, 90_000);
});
