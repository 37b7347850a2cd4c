import type { ServerFeature } from './feature.ts';
import { ingestFeature } from './ingest/ingest-feature.ts';
import { provenanceFeature } from './provenance/provenance-feature.ts';
import { riskFeature } from './risk/risk-feature.ts';
import { subscriptionsFeature } from './subscriptions/subscription-feature.ts';

/** Features started after the core, in this order (and stopped in reverse). */
export const FEATURES: ServerFeature[] = [ingestFeature, riskFeature, provenanceFeature, subscriptionsFeature];
