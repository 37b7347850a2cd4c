/**
 * ModelRuntime: one onnxruntime-node InferenceSession per ONNX model of the registry, created once.
 * Sessions run on the CPU with one intra-op and one inter-op thread: these graphs are tiny, so
 * thread hand-off costs more than it saves, and a 2-core machine has the HTTP server to run too.
 * `run()` executes on the calling thread, so large batches belong in the batch rescorer's worker.
 */
import ort from 'onnxruntime-node';
import type { ModelRegistry, RegisteredModel } from './model-registry.ts';

export const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  executionProviders: ['cpu'],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
};

/** Model outputs by ONNX output name, each row-major with `n` rows. */
export type ModelOutputs = Record<string, Float32Array>;

interface LoadedSession {
  model: RegisteredModel;
  session: ort.InferenceSession;
  featureCount: number;
}

export class ModelRuntime {
  private constructor(private readonly sessions: Map<string, LoadedSession>) {}

  /** Creates a session for every ONNX model in the registry (TypeScript models need none). */
  static async create(registry: ModelRegistry): Promise<ModelRuntime> {
    const sessions = new Map<string, LoadedSession>();
    for (const model of registry.list()) {
      if (model.card.runtime !== 'onnx' || !model.onnx) continue;
      sessions.set(model.card.id, await openSession(model));
    }
    return new ModelRuntime(sessions);
  }

  has(modelId: string): boolean {
    return this.sessions.has(modelId);
  }

  /**
   * Runs `n` rows of `features` (row-major, one column per card feature) through the model.
   * Inputs must be complete: the caller decides validity before the model runs.
   */
  async score(modelId: string, features: Float32Array, n: number): Promise<ModelOutputs> {
    const loaded = this.sessions.get(modelId);
    if (!loaded) throw new Error(`no ONNX session for model ${modelId}`);
    if (!Number.isInteger(n) || n < 1 || features.length !== n * loaded.featureCount) {
      throw new Error(`model ${modelId}: expected ${n} × ${loaded.featureCount} features, got ${features.length} values`);
    }
    const inputName = loaded.model.card.onnx!.input;
    const result = await loaded.session.run({ [inputName]: new ort.Tensor('float32', features, [n, loaded.featureCount]) });
    const outputs: ModelOutputs = {};
    for (const [name, tensor] of Object.entries(result)) {
      if (tensor.type !== 'float32') throw new Error(`model ${modelId}: output ${name} is ${tensor.type}, expected float32`);
      outputs[name] = tensor.data as Float32Array;
    }
    return outputs;
  }

  async close(): Promise<void> {
    for (const { session } of this.sessions.values()) await session.release();
    this.sessions.clear();
  }
}

async function openSession(model: RegisteredModel): Promise<LoadedSession> {
  const session = await ort.InferenceSession.create(model.onnx!, SESSION_OPTIONS);
  const { card } = model;
  const inputName = card.onnx!.input;
  if (!session.inputNames.includes(inputName)) throw new Error(`model ${card.id}: ONNX has no input ${inputName}`);
  for (const output of Object.values(card.onnx!.outputs)) {
    if (!session.outputNames.includes(output)) throw new Error(`model ${card.id}: ONNX has no output ${output}`);
  }
  return { model, session, featureCount: card.features.length };
}
