import fs from 'node:fs';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startChildServer, type ChildServer } from '../helpers/child-server.ts';
import { tempDir } from '../helpers/test-server.ts';

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('requests while the server starts', () => {
  const dataDir = tempDir('startup');
  let child: Promise<ChildServer> | undefined;
  afterAll(async () => {
    await (await child?.catch(() => undefined))?.kill('SIGTERM');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('are answered 503 with an OperationOutcome and Retry-After (never left hanging), then served once ready', async () => {
    const port = await freePort();
    // A separate process, so that the server's start-up work cannot stall this client's timers.
    let ready = false;
    child = startChildServer({ PORT: String(port), DATA_DIR: dataDir, PROVENANCE: 'off', RISK_SCORING: 'off' });
    const starting = child.then(() => void (ready = true));
    const early: Array<{ status: number; retryAfter: string | null; body: any }> = [];
    let liveness: number | undefined;
    while (!ready) {
      try {
        // A request left hanging fails the test through this timeout (undici alone waits 5 minutes).
        const reply = await fetch(`http://127.0.0.1:${port}/fhir/metadata`, { signal: AbortSignal.timeout(30_000) });
        const text = await reply.text();
        if (!ready && reply.status === 503) early.push({ status: reply.status, retryAfter: reply.headers.get('retry-after'), body: JSON.parse(text) });
        if (!ready && liveness === undefined && reply.status === 503) liveness = (await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(30_000) })).status;
      } catch (error) {
        // Before the socket is bound the connection is refused; anything else is a failure.
        if ((error as { cause?: { code?: string } }).cause?.code !== 'ECONNREFUSED') throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await starting;
    expect(early.length).toBeGreaterThan(0);
    expect(early[0]).toMatchObject({ status: 503, retryAfter: '1', body: { resourceType: 'OperationOutcome', issue: [{ code: 'transient' }] } });
    expect(liveness).toBe(200);
    const served = await fetch(`http://127.0.0.1:${port}/fhir/metadata`);
    expect(served.status).toBe(200);
    expect(((await served.json()) as { resourceType: string }).resourceType).toBe('CapabilityStatement');
  }, 120_000);
});

describe('one server per DATA_DIR', () => {
  const dataDir = tempDir('datadir-lock');
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('refuses a second server on a data directory in use, naming the holder; takes over a lock left by a dead process', async () => {
    const env = { DATA_DIR: dataDir, PROVENANCE: 'off', RISK_SCORING: 'off' };
    const first = await startChildServer(env);
    try {
      const second = await startChildServer(env).then(
        (server) => ({ server, error: undefined as Error | undefined }),
        (error: Error) => ({ server: undefined, error }),
      );
      await second.server?.kill();
      expect(second.server, 'the second server must not start').toBeUndefined();
      expect(second.error!.message).toMatch(/exited with 2/);
      expect(second.error!.message).toContain(`DATA_DIR ${dataDir} is in use by process ${first.process.pid}`);
      expect(second.error!.message).not.toMatch(/\n\s+at /);
      // The first one still serves its data.
      const reply = await fetch(`${first.url}/metadata`);
      expect(reply.status).toBe(200);
    } finally {
      await first.kill('SIGTERM');
    }
    expect(fs.existsSync(`${dataDir}/server.pid`), 'a clean stop removes the lock').toBe(false);

    // kill -9 leaves the lock file behind; the next start takes it over.
    const killed = await startChildServer(env);
    await killed.kill('SIGKILL');
    expect(fs.readFileSync(`${dataDir}/server.pid`, 'utf8').trim()).toBe(String(killed.process.pid));
    const next = await startChildServer(env);
    try {
      expect((await fetch(`${next.url}/metadata`)).status).toBe(200);
    } finally {
      await next.kill('SIGTERM');
    }
  });
});
