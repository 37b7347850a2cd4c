/**
 * Reads a float initializer out of an ONNX file. Linear models explain themselves with their own
 * weights (w·(x − reference) in logit space), and onnxruntime-node does not expose initializers,
 * so they are decoded from the protobuf with the onnx-buf schema.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, TensorProto_DataType } from 'onnx-buf';

export function readFloatInitializer(onnx: Uint8Array, name: string): Float32Array {
  const model = fromBinary(ModelProtoSchema, onnx);
  const tensor = model.graph?.initializer.find((t) => t.name === name);
  if (!tensor) throw new Error(`ONNX initializer ${name} not found`);
  if (tensor.dataType !== TensorProto_DataType.FLOAT) throw new Error(`ONNX initializer ${name} is not float32`);
  if (tensor.floatData.length > 0) return Float32Array.from(tensor.floatData);
  const raw = tensor.rawData;
  // Copy: rawData may sit at an offset that is not 4-byte aligned inside the decoded buffer.
  return new Float32Array(Uint8Array.from(raw).buffer);
}
