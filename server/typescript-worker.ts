/**
 * A worker thread whose entry module is TypeScript. Worker threads inherit the parent's execArgv,
 * but on Node 20 a loader given as `--import tsx` is not applied to a worker's entry module
 * (nodejs/node#47747, tsx#354: ERR_UNKNOWN_FILE_EXTENSION for the .ts entry, under `tsx` and
 * `node --import tsx` alike). So the worker starts from a two-line bootstrap that registers tsx's
 * ESM hooks inside the worker thread and then imports the .ts entry; this works under tsx,
 * `node --import tsx` and vitest.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** tsx's documented ESM register API (package export `tsx/esm/api`, import condition), as a file URL. */
function tsxRegisterUrl(): string {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve('tsx/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(join(dirname(manifestPath), manifest.exports['./esm/api'].import.default)).href;
}

export function startTypeScriptWorker(entry: URL, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const bootstrap = `import(${JSON.stringify(tsxRegisterUrl())}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
