/**
 * Batch rescoring off the event loop: a worker thread holds its own ONNX session for one model
 * (typically NEWS2 after a model update, or a ward-wide rescore) and runs feature matrices sent to
 * it. onnxruntime-node's run() executes on the calling thread, so a 100,000-row batch on the main
 * thread would stall every HTTP request for its duration.
 */
import type { Worker } from 'node:worker_threads';
import { startTypeScriptWorker } from '../typescript-worker.ts';
import type { RegisteredModel } from './model-registry.ts';
import type { ModelOutputs } from './model-runtime.ts';
import { SESSION_OPTIONS } from './model-runtime.ts';
import type { RescoreReply, RescoreRequest } from './batch-rescorer-worker.ts';

export class BatchRescorer {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (o: ModelOutputs) => void; reject: (e: Error) => void }>();

  private constructor(
    private readonly worker: Worker,
    readonly modelId: string,
    private readonly featureCount: number,
  ) {
    worker.on('message', (reply: RescoreReply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if ('error' in reply) waiter.reject(new Error(`batch rescoring failed: ${reply.error}`));
      else waiter.resolve(reply.outputs);
    });
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', (code) => this.failAll(new Error(`batch rescorer worker exited with code ${code}`)));
  }

  /** Starts a worker with its own session for `model` (an ONNX model from the registry). */
  static start(model: RegisteredModel): Promise<BatchRescorer> {
    if (!model.onnx || !model.card.onnx) return Promise.reject(new Error(`model ${model.card.id} is not an ONNX model`));
    const worker = startTypeScriptWorker(new URL('./batch-rescorer-worker.ts', import.meta.url), {
      workerData: { onnx: model.onnx, input: model.card.onnx.input, featureCount: model.card.features.length, sessionOptions: SESSION_OPTIONS },
    });
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      worker.once('error', onError);
      worker.once('message', (message) => {
        worker.off('error', onError);
        if (message === 'ready') resolve(new BatchRescorer(worker, model.card.id, model.card.features.length));
        else reject(new Error('batch rescorer worker did not start'));
      });
    });
  }

  /**
   * Scores `n` rows (row-major, the model's feature layout). The features' buffer is transferred
   * to the worker: the caller's array is detached (length 0) once this returns.
   */
  rescore(features: Float32Array, n: number): Promise<ModelOutputs> {
    if (!Number.isInteger(n) || n < 1 || features.length !== n * this.featureCount) {
      return Promise.reject(new Error(`model ${this.modelId}: expected ${n} × ${this.featureCount} features, got ${features.length}`));
    }
    // A view into a larger buffer cannot be transferred without moving the rest: copy it out.
    const own = features.byteOffset === 0 && features.byteLength === features.buffer.byteLength ? features : features.slice();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, features: own, n } satisfies RescoreRequest, [own.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
    this.failAll(new Error('batch rescorer closed'));
  }

  private failAll(error: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}
