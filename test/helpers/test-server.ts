import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../server/config.ts';
import { createLogger } from '../../server/log.ts';
import { startServer, type RunningServer } from '../../server/start.ts';
import { createTestDatabase } from './postgres.ts';

export type Backend = 'pglite' | 'postgres';

export interface FhirReply {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export interface TestServer {
  /** Where tests send requests. */
  url: string;
  /** The server's BASE_URL, as it appears in links, fullUrls and Locations. */
  baseUrl: string;
  server: RunningServer;
  dataDir: string;
  databaseUrl?: string;
  fhir(method: string, pathAndQuery: string, body?: unknown, headers?: Record<string, string>): Promise<FhirReply>;
  close(): Promise<void>;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `vc-${prefix}-`));
}

/** Starts the real server in-process on a random port with its own data dir (and database). */
export async function startTestServer(backend: Backend = 'pglite', env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = tempDir('data');
  const database = backend === 'postgres' ? await createTestDatabase() : undefined;
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...(database ? { DATABASE_URL: database.url } : {}), ...env }, []);
  const server = await startServer(config, createLogger(config.LOG_LEVEL));
  const url = `http://127.0.0.1:${server.port}/fhir`;
  return {
    url,
    baseUrl: server.services.config.BASE_URL,
    server,
    dataDir,
    databaseUrl: database?.url,
    fhir: (method, pathAndQuery, body, headers) => fhirRequest(url, method, pathAndQuery, body, headers),
    close: async () => {
      await server.close();
      await database?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function fhirRequest(baseUrl: string, method: string, pathAndQuery: string, body?: unknown, headers: Record<string, string> = {}): Promise<FhirReply> {
  const init: RequestInit = { method, headers: { Accept: 'application/fhir+json', ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['Content-Type'] ??= 'application/fhir+json';
  }
  const response = await fetch(`${baseUrl}/${pathAndQuery.replace(/^\//, '')}`, init);
  const text = await response.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** Resource ids of a Bundle's entries (optionally only search mode `match`). */
export function entryIds(bundle: any, mode?: string): string[] {
  return (bundle?.entry ?? []).filter((e: any) => !mode || e.search?.mode === mode).map((e: any) => `${e.resource.resourceType}/${e.resource.id}`);
}
