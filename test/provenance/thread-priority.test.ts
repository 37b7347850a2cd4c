import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { provenancePipeline } from '../../server/provenance/provenance-feature.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { heartRate, transaction } from './fhir-fixtures.ts';

/** Niceness of each thread of this process (field 19 of /proc/self/task/<tid>/stat). */
function threadNiceness(): Map<number, number> {
  const result = new Map<number, number>();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const fields = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      result.set(Number(tid), Number(fields[16]));
    } catch {
      // The thread ended while being read.
    }
  }
  return result;
}

const linux = fs.existsSync('/proc/thread-self');

describe.skipIf(!linux)('provenance threads yield the CPU to the write path (PROVENANCE_THREAD_NICE, Linux)', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function anchorOneWrite(env: Record<string, string>): Promise<Map<number, number>> {
    server = await startTestServer('pglite', { ANCHOR_WINDOW_LEAVES: '4', ANCHOR_WINDOW_SECONDS: '0.2', RISK_SCORING: 'off', ...env });
    expect((await server.fhir('PUT', 'Patient/nice', { resourceType: 'Patient', id: 'nice' })).status).toBe(201);
    expect((await server.fhir('POST', '', transaction([heartRate('nice', 70), heartRate('nice', 71)]))).status).toBe(200);
    await provenancePipeline(server.server.services)!.settled();
    return threadNiceness();
  }

  it('runs the sealer and chain threads at niceness 0 when asked to, and at the default 10 otherwise, never the main thread', async () => {
    const equal = await anchorOneWrite({ PROVENANCE_THREAD_NICE: '0' });
    expect([...equal.values()].filter((nice) => nice === 10)).toEqual([]);
    await server!.close();
    server = undefined;

    const lowered = await anchorOneWrite({});
    // The sealer of this server and the process's chain thread (reniced when the chain opened).
    expect([...lowered.values()].filter((nice) => nice === 10).length).toBeGreaterThanOrEqual(2);
    expect(lowered.get(process.pid)).toBe(0);
  }, 120_000);
});
