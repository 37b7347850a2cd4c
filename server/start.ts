import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { typeModel } from '../conformance/type-model.ts';
import { prepareValidation, validateResource } from '../conformance/validate.ts';
import type { StartedFeature } from './feature.ts';
import { FEATURES } from './features.ts';
import { canonicalQuantity as ucumCanonicalQuantity } from '../terminology/ucum.ts';
import { describeConfig, type Config } from './config.ts';
import type { FhirServices } from './fhir/context.ts';
import { OperationRegistry } from './fhir/operations/operation-registry.ts';
import { validateOperation } from './fhir/operations/validate-operation.ts';
import { lastnOperation } from './fhir/operations/lastn-operation.ts';
import { statsOperation } from './fhir/operations/stats-operation.ts';
import { everythingOperation } from './fhir/operations/everything-operation.ts';
import { useQuantityCanonicalizer } from './fhir/search/canonical-quantity.ts';
import { searchParameters } from './fhir/search/definitions/search-parameters.ts';
import { allowAll } from './http/authorization.ts';
import { ReferenceRows } from './fhir/search/reference-rows.ts';
import { createApp } from './http/app.ts';
import { startingHandler } from './http/starting-handler.ts';
import { createLogger, type Logger } from './log.ts';
import { migrate } from './store/migrate.ts';
import { openDatabase } from './store/open-database.ts';
import { Outbox } from './store/outbox.ts';
import { Repository } from './store/repository.ts';
import { lockDataDir } from './store/data-dir-lock.ts';
import { SearchParamIds } from './store/search-param-ids.ts';
import { StatisticsKeeper } from './store/statistics-keeper.ts';

export interface RunningServer {
  url: string;
  port: number;
  services: FhirServices;
  outbox: Outbox;
  /** Stops accepting requests, lets in-flight ones finish (within the grace period), closes the database. */
  close(): Promise<void>;
}

/** Composition root: database, migrations, definitions, write path, HTTP. */
export async function startServer(config: Config, log: Logger = createLogger(config.LOG_LEVEL)): Promise<RunningServer> {
  // Before the port: a second `npm start` on the same data should hear that, not EADDRINUSE.
  const releaseDataDir = lockDataDir(config.DATA_DIR);
  // Listen first: with PORT=0 the port (and so the default BASE_URL) is only known once bound.
  const server = http.createServer();
  server.on('request', startingHandler);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.PORT, config.HOST, () => resolve());
    });
  } catch (error) {
    releaseDataDir();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  if (config.BASE_URL === `http://localhost:0/fhir`) config = { ...config, BASE_URL: `http://localhost:${port}/fhir` };
  try {
    return await startOn(server, port, config, log, releaseDataDir);
  } catch (error) {
    server.close();
    releaseDataDir();
    throw error;
  }
}

async function startOn(server: Server, port: number, config: Config, log: Logger, releaseDataDir: () => void): Promise<RunningServer> {
  log.info({ config: describeConfig(config) }, 'starting');
  const db = await openDatabase(config);
  const applied = await migrate(db);
  if (applied.length) log.info({ migrations: applied }, 'schema migrated');
  const registry = searchParameters();
  const types = typeModel();
  const paramIds = await SearchParamIds.load(db, registry);
  useQuantityCanonicalizer(ucumCanonicalQuantity);
  const repository = new Repository(db, registry, paramIds, config.BASE_URL, ucumCanonicalQuantity);
  const statistics = new StatisticsKeeper(db, log);
  repository.statistics = statistics;
  const operations = new OperationRegistry();
  for (const operation of [validateOperation, lastnOperation, statsOperation, everythingOperation]) operations.register(operation);
  const services: FhirServices = {
    config,
    log,
    db,
    repository,
    registry,
    paramIds,
    referenceRows: new ReferenceRows((type, code) => paramIds.pid(type, code)),
    types,
    authorization: allowAll,
    operations,
    validate: (resource, options) => validateResource(resource, options),
  };
  const outbox = new Outbox(db, repository, log);
  const app = createApp(services);
  const started: StartedFeature[] = [];
  for (const feature of FEATURES) {
    const running = await feature.start({ config, services, outbox, app: app.app, server });
    if (running) started.push(running);
    log.info({ feature: feature.name }, 'feature started');
  }
  app.mountFallbacks();
  // Compile validation for every type before answering: "ready" means the first writes are not
  // slowed by compiling (about a second, once).
  prepareValidation();
  server.off('request', startingHandler);
  server.on('request', app.app);
  server.keepAliveTimeout = 65_000;
  const url = `http://localhost:${port}/fhir`;
  log.info({ port, database: db.kind }, 'ready');

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      app.setShuttingDown();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + config.SHUTDOWN_GRACE_SECONDS * 1000;
      while (app.inFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      server.closeAllConnections();
      await stopped;
      for (const feature of started.reverse()) await feature.stop().catch((error) => log.error({ err: error }, 'feature stop failed'));
      await outbox.stopAll();
      await statistics.stop();
      await db.close();
      releaseDataDir();
      log.info('stopped');
    })());
  return { url, port, services, outbox, close };
}
