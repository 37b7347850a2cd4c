/**
 * Worker thread of the batch rescorer: owns one InferenceSession and runs the batches it is sent,
 * so a large rescoring run never blocks the server's event loop. Buffers travel both ways as
 * transferables (no copies).
 */
import { parentPort, workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';

interface Init {
  onnx: Uint8Array;
  input: string;
  featureCount: number;
  sessionOptions: ort.InferenceSession.SessionOptions;
}

export interface RescoreRequest {
  id: number;
  features: Float32Array;
  n: number;
}

export type RescoreReply = { id: number; outputs: Record<string, Float32Array> } | { id: number; error: string };

const init = workerData as Init;
const port = parentPort!;
const session = await ort.InferenceSession.create(init.onnx, init.sessionOptions);

port.on('message', async (request: RescoreRequest) => {
  try {
    const result = await session.run({ [init.input]: new ort.Tensor('float32', request.features, [request.n, init.featureCount]) });
    const outputs: Record<string, Float32Array> = {};
    for (const [name, tensor] of Object.entries(result)) outputs[name] = tensor.data as Float32Array;
    port.postMessage({ id: request.id, outputs } satisfies RescoreReply, Object.values(outputs).map((o) => o.buffer as ArrayBuffer));
  } catch (error) {
    port.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) } satisfies RescoreReply);
  }
});
port.postMessage('ready');
