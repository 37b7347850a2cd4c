import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startChildServer } from '../helpers/child-server.ts';
import { fhirRequest, tempDir } from '../helpers/test-server.ts';

describe('graceful shutdown', () => {
  it('finishes the transaction in flight on SIGTERM, then exits 0 and keeps its data', async () => {
    const dataDir = tempDir('shutdown');
    const env = { DATA_DIR: dataDir, PROVENANCE: 'off', RISK_SCORING: 'off' };
    const child = await startChildServer(env);
    const entry = Array.from({ length: 3000 }, (_, i) => ({ resource: { resourceType: 'Observation', status: 'final', code: { text: `s${i}` } }, request: { method: 'POST', url: 'Observation' } }));
    const inFlight = fhirRequest(child.url, 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry });
    await new Promise((r) => setTimeout(r, 150));
    const exited = child.kill('SIGTERM');
    const reply = await inFlight;
    expect(reply.status).toBe(200);
    expect(await exited).toBe(0);
    const again = await startChildServer(env);
    try {
      const count = await fhirRequest(again.url, 'GET', 'Observation?_summary=count');
      expect(count.json.total).toBe(3000);
      const ready = await fetch(again.url.replace(/\/fhir$/, '/readyz'));
      expect(ready.status).toBe(200);
      expect((await ready.json()).database).toBe('pglite');
    } finally {
      await again.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
