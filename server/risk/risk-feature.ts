/**
 * Risk scoring as a server feature: loads the model registry (models/ plus RISK_MODEL_DIRS),
 * opens the ONNX sessions, registers Patient/$risk-assess, mounts the CDS Hooks service, and —
 * when RISK_SCORING=on — runs the `risk` outbox consumer that rescores patients on every new
 * vital-sign Observation. A refused model (bad card, hash mismatch) is logged and left out; the
 * others still run.
 */
import { mountCdsHooks } from '../cds-hooks/cds-services.ts';
import type { ServerFeature } from '../feature.ts';
import type { OutboxConsumer } from '../store/outbox.ts';
import { ModelDevices } from './model-devices.ts';
import { loadModelRegistry } from './model-registry.ts';
import { ModelRuntime } from './model-runtime.ts';
import { riskAssessOperation } from './risk-assess-operation.ts';
import { riskConsumer } from './risk-consumer.ts';
import { RiskScorer } from './risk-scorer.ts';

export const RISK_CONSUMER = 'risk';
const BATCH_SIZE = 2000;
const LINGER_MS = 100;

export const riskFeature: ServerFeature = {
  name: 'risk',
  async start(host) {
    const { config, services, outbox } = host;
    const registry = loadModelRegistry({ extraDirs: (config.RISK_MODEL_DIRS ?? '').split(':').filter(Boolean) });
    for (const refused of registry.refused) services.log.warn({ modelDir: refused.dir, reason: refused.reason }, 'risk model refused');
    const runtime = await ModelRuntime.create(registry);
    const scorer = new RiskScorer(runtime);
    const devices = new ModelDevices();
    services.operations.register(riskAssessOperation({ registry, scorer, devices }));
    mountCdsHooks(host.app, services);
    let consumer: OutboxConsumer | undefined;
    if (config.RISK_SCORING === 'on') {
      const handle = riskConsumer({ services, registry, scorer, devices });
      // Large batches: a patient's vital signs usually arrive together, and scoring once per
      // patient per batch is what keeps rescoring cheap under device-ingest load.
      consumer = outbox.subscribe(
        RISK_CONSUMER,
        async (events) => {
          await handle(events);
          // Linger after a small batch so that the next one gathers more: per-batch costs (a few
          // queries, one transaction) are then shared, and a patient whose readings arrive one by
          // one is scored once for the lot. A score appears at most LINGER_MS later.
          if (events.length < BATCH_SIZE / 4) await new Promise((resolve) => setTimeout(resolve, LINGER_MS));
        },
        { batchSize: BATCH_SIZE, idleMs: 500 },
      );
    }
    services.log.info({ models: registry.list().map((m) => `${m.card.id}@${m.card.version}`), scoring: config.RISK_SCORING }, 'risk models loaded');
    return {
      async stop() {
        await consumer?.stop();
        await scorer.close();
        await runtime.close();
      },
    };
  },
};
