import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChildServer, type ChildServer } from '../helpers/child-server.ts';
import { createTestDatabase, postgresAvailable } from '../helpers/postgres.ts';
import { fhirRequest, tempDir } from '../helpers/test-server.ts';

describe('two server processes on one PostgreSQL', () => {
  let servers: ChildServer[] = [];
  let drop: (() => Promise<void>) | undefined;
  let dirs: string[] = [];
  let skip = false;
  beforeAll(async () => {
    if (!(await postgresAvailable())) {
      skip = true;
      return;
    }
    const database = await createTestDatabase();
    drop = database.drop;
    // Start one first so migrations run once, then the second joins.
    dirs = [tempDir('p1'), tempDir('p2')];
    for (const dir of dirs) servers.push(await startChildServer({ DATABASE_URL: database.url, DATA_DIR: dir }));
  }, 180_000);
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.kill('SIGTERM')));
    await drop?.();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('concurrent If-Match updates of one resource: exactly one wins, the others get 412', async (t) => {
    if (skip) return t.skip();
    const [a, b] = servers;
    expect((await fhirRequest(a.url, 'PUT', 'Patient/race', { resourceType: 'Patient', id: 'race' })).status).toBe(201);
    const attempts = Array.from({ length: 10 }, (_, i) =>
      fhirRequest((i % 2 ? a : b).url, 'PUT', 'Patient/race', { resourceType: 'Patient', id: 'race', gender: i % 2 ? 'male' : 'female', birthDate: `2000-01-${String(i + 1).padStart(2, '0')}` }, { 'If-Match': 'W/"1"' }),
    );
    const statuses = (await Promise.all(attempts)).map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(9);
    expect((await fhirRequest(b.url, 'GET', 'Patient/race')).json.meta.versionId).toBe('2');
  });

  it('concurrent updates without If-Match lose nothing: versions strictly increase', async (t) => {
    if (skip) return t.skip();
    const [a, b] = servers;
    await fhirRequest(a.url, 'PUT', 'Patient/many', { resourceType: 'Patient', id: 'many' });
    const writes = Array.from({ length: 20 }, (_, i) =>
      fhirRequest((i % 2 ? a : b).url, 'PUT', 'Patient/many', { resourceType: 'Patient', id: 'many', name: [{ family: `v${i}` }] }),
    );
    const replies = await Promise.all(writes);
    expect(replies.every((r) => r.status === 200)).toBe(true);
    const versions = replies.map((r) => Number(r.json.meta.versionId)).sort((x, y) => x - y);
    expect(versions).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    const history = await fhirRequest(a.url, 'GET', 'Patient/many/_history?_count=100');
    expect(history.json.entry).toHaveLength(21);
    const families = new Set(history.json.entry.slice(0, 20).map((e: any) => e.resource.name[0].family));
    expect(families.size).toBe(20);
  });
});
