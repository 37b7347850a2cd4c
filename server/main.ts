import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './log.ts';
import { startServer } from './start.ts';
import { DataDirInUseError } from './store/data-dir-lock.ts';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  throw error;
}
const log = createLogger(config.LOG_LEVEL);
try {
  const server = await startServer(config, log);
  process.stdout.write(`FHIR R4 server ready at ${server.services.config.BASE_URL} (port ${server.port}, ${server.services.db.kind})\n`);
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) process.exit(1);
    log.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (error) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
} catch (error) {
  if (error instanceof DataDirInUseError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  log.fatal({ err: error }, 'could not start');
  process.exit(1);
}
