import type { ServerFeature, StartedFeature } from '../feature.ts';
import type { FhirServices } from '../fhir/context.ts';
import { setIngestProvenanceHook } from '../ingest/provenance-hook.ts';
import type { OutboxConsumer } from '../store/outbox.ts';
import type { CommittedWrite } from '../store/repository.ts';
import { AnchorWorker } from './anchor-worker.ts';
import { auditOperation } from './audit-operation.ts';
import { openBackends, type ProvenanceBackends } from './backends.ts';
import { eraseOperation } from './erase-operation.ts';
import { ingestProvenanceHook } from './ingest-provenance.ts';
import { ingestSourceStage } from './ingest-source-stage.ts';
import { KeySubjects } from './key-subject.ts';
import { LeafRecorder } from './leaf-recorder.ts';
import { ingestTargetRows } from './ingest-target-rows.ts';
import { windowTargetRows } from './window-target-rows.ts';
import { Sealer } from './sealer.ts';
import { anchorStage, assignStage, buildStage, WindowCount, type StageDeps } from './pipeline-stages.ts';
import { pipelineBacklog, type PipelineBacklog } from './pipeline-backlog.ts';
import { proofOperation } from './proof-operation.ts';
import { VerifiedContent } from './verified-content.ts';
import { verifyOperation } from './verify-operation.ts';

export const PROVENANCE_CONSUMER = 'provenance';

/** A running pipeline, for tests and benchmarks (provenancePipeline(services)). */
export interface ProvenancePipeline {
  backends: ProvenanceBackends;
  content: VerifiedContent;
  worker: AnchorWorker;
  consumer: OutboxConsumer;
  backlog(): Promise<PipelineBacklog>;
  /** Resolves once every version committed so far is anchored and every window's Provenance is anchored too. */
  settled(pollMs?: number): Promise<void>;
}

const pipelines = new WeakMap<FhirServices, ProvenancePipeline>();

export function provenancePipeline(services: FhirServices): ProvenancePipeline | undefined {
  return pipelines.get(services);
}

/**
 * Verifiable provenance (PROVENANCE=on, the default): an outbox consumer records a salted leaf per
 * committed version; the anchor worker closes windows (ANCHOR_WINDOW_LEAVES / _SECONDS), stores
 * per-patient encrypted bundles and a manifest, anchors the root, and writes a Provenance per
 * window. Registers $verify, $provenance-proof, $erase and $audit, and the ingest hook that gives
 * every ingest request its Provenance. Nothing here is on the write path.
 */
export const provenanceFeature: ServerFeature = {
  name: 'provenance',
  async start({ config, services, outbox }): Promise<StartedFeature | void> {
    // Window and ingest Provenances written while provenance was on stay searchable by target when it is off.
    services.referenceRows.derive('Provenance', 'target', windowTargetRows);
    services.referenceRows.derive('Provenance', 'target', ingestTargetRows);
    // Derived rows are planned over these: without statistics a search may read every leaf.
    services.repository.statistics?.watch(['provenance_leaf_run', 'provenance_window', 'provenance_ingest_source']);
    if (config.PROVENANCE === 'off') return;
    const { db, repository, log } = services;
    const backends = await openBackends(config, db, log);
    const subjects = new KeySubjects(services.registry, config.BASE_URL);
    const content = new VerifiedContent(backends.content);
    const sealer = new Sealer(subjects, config.PROVENANCE_THREAD_NICE);
    const remember = (results: CommittedWrite[]) => sealer.hold(results);
    repository.events.on('committed', remember);
    let worker: AnchorWorker;
    const stage: StageDeps = {
      db,
      repository,
      backends,
      log,
      sealer,
      exclusive: (fn) => worker.exclusive(fn),
      wake: (lane) => worker.wake(lane),
      windows: { open: new WindowCount(), built: new WindowCount() },
    };
    worker = new AnchorWorker({
      db,
      log,
      onLease: () => {
        stage.windows.open.forget();
        stage.windows.built.forget();
      },
      lanes: [
        { name: 'build', stages: [assignStage(stage, config.ANCHOR_WINDOW_LEAVES, config.ANCHOR_WINDOW_SECONDS), buildStage(stage)] },
        // Anchoring waits for more built windows up to a fifth of the window time (1 s at the default 5 s).
        { name: 'anchor', stages: [anchorStage(stage, Math.min(1_000, (config.ANCHOR_WINDOW_SECONDS * 1_000) / 5))] },
        { name: 'ingest', stages: [ingestSourceStage({ ...stage, subjects })] },
      ],
    });
    const recorder = new LeafRecorder(db, subjects, sealer);
    const consumer = outbox.subscribe(
      PROVENANCE_CONSUMER,
      async (events) => {
        if ((await recorder.record(events)) > 0) worker.wake('build');
      },
      { batchSize: 2_000, idleMs: 1_000, retryMs: 1_000 },
    );
    worker.start();

    services.operations.register(verifyOperation({ db, backends, content }));
    services.operations.register(proofOperation({ db, backends, content }));
    services.operations.register(eraseOperation({ db, keys: backends.keys, subjects, sealer, paramIds: services.paramIds, exclusive: (fn) => worker.exclusive(fn) }));
    services.operations.register(auditOperation({ db, backends, content, consumer: PROVENANCE_CONSUMER }));
    setIngestProvenanceHook(services, ingestProvenanceHook(() => worker.wake('ingest'), subjects, backends.content));

    const pipeline: ProvenancePipeline = {
      backends,
      content,
      worker,
      consumer,
      backlog: () => pipelineBacklog(db, PROVENANCE_CONSUMER),
      settled: async (pollMs = 50) => {
        for (;;) {
          await consumer.drained();
          if ((await pipelineBacklog(db, PROVENANCE_CONSUMER)).idle) return;
          worker.wake();
          await new Promise((resolve) => setTimeout(resolve, pollMs));
        }
      },
    };
    pipelines.set(services, pipeline);
    return {
      stop: async () => {
        setIngestProvenanceHook(services, undefined);
        repository.events.off('committed', remember);
        pipelines.delete(services);
        await consumer.stop();
        await worker.stop();
        await sealer.close();
        await backends.close();
      },
    };
  },
};
