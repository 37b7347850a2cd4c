import { afterAll, beforeAll } from 'vitest';
import { postgresAvailable } from './postgres.ts';
import { startTestServer, type Backend, type TestServer } from './test-server.ts';

export interface BackendSuite {
  /** True in the PostgreSQL block when no PostgreSQL server answers: its tests call t.skip(). */
  readonly absent: boolean;
}

/**
 * For a describe block that runs once per backend: starts the server before its tests (then
 * `prepare`, e.g. loading a dataset), hands it to `use`, and closes it after. Where PostgreSQL is
 * unreachable nothing starts and postgresAvailable has said so once on stderr.
 */
export function serverPerBackend(backend: Backend, use: (server: TestServer) => void, prepare?: (server: TestServer) => Promise<void>): BackendSuite {
  const suite = { absent: false };
  let started: TestServer | undefined;
  beforeAll(async () => {
    if (backend === 'postgres' && !(await postgresAvailable())) {
      suite.absent = true;
      return;
    }
    started = await startTestServer(backend);
    use(started);
    await prepare?.(started);
  });
  afterAll(async () => started?.close());
  return suite;
}
