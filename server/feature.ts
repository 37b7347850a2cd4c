import type { Server } from 'node:http';
import type { Express } from 'express';
import type { Config } from './config.ts';
import type { FhirServices } from './fhir/context.ts';
import type { Outbox } from './store/outbox.ts';

/** What a feature gets when the core is up: services, the outbox, and the HTTP app/server. */
export interface FeatureHost {
  config: Config;
  services: FhirServices;
  outbox: Outbox;
  /** Express app: features mount non-FHIR routes here (e.g. /cds-services). FHIR routes go through operations. */
  app: Express;
  /** The HTTP server, for protocol upgrades (websockets). */
  server: Server;
}

export interface StartedFeature {
  /** Called on shutdown after HTTP has stopped and before the database closes. */
  stop(): Promise<void>;
}

/**
 * A capability beyond the REST core (provenance, risk scoring, subscriptions, device ingestion).
 * Features register operations and outbox consumers; they never change the core write path.
 */
export interface ServerFeature {
  name: string;
  start(host: FeatureHost): Promise<StartedFeature | void>;
}
