/**
 * A small, deterministic ONNX graph writer for the generator and training scripts in models/.
 * The protobuf messages come from onnx-buf (the official onnx.proto compiled for
 * @bufbuild/protobuf); this file only adds the bookkeeping those scripts need.
 *
 * Attribute types are always explicit: JavaScript cannot tell 1.0 from 1, and ONNX Runtime rejects
 * an INT where the operator schema wants a FLOAT.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProtoSchema,
  AttributeProto_AttributeType,
  ModelProtoSchema,
  NodeProtoSchema,
  TensorProtoSchema,
  TensorProto_DataType,
  ValueInfoProtoSchema,
  type AttributeProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from 'onnx-buf';

/** ONNX opset 13 with IR version 7 (ONNX 1.8): old enough for any current runtime, new enough for every op used here. */
export const OPSET = 13;
const IR_VERSION = 7n;

export type Dim = number | string;
export type AttributeValue =
  | { float: number }
  | { int: number }
  | { ints: number[] }
  | { floats: number[] }
  | { string: string };

export class OnnxGraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private nodeCount = 0;

  constructor(private readonly graphName: string) {}

  input(name: string, dims: Dim[], docString = ''): string {
    this.inputs.push(valueInfo(name, dims, TensorProto_DataType.FLOAT, docString));
    return name;
  }

  output(name: string, dims: Dim[], docString = ''): void {
    this.outputs.push(valueInfo(name, dims, TensorProto_DataType.FLOAT, docString));
  }

  /** A float32 constant tensor stored as raw little-endian bytes. */
  floats(name: string, values: ArrayLike<number>, dims: number[]): string {
    const data = Float32Array.from(values);
    if (data.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`initializer ${name}: ${data.length} values for dims ${dims}`);
    this.initializers.push(rawTensor(name, TensorProto_DataType.FLOAT, dims, new Uint8Array(data.buffer)));
    return name;
  }

  /** An int64 constant tensor (indices, axes, shapes). */
  int64s(name: string, values: number[], dims: number[]): string {
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push(rawTensor(name, TensorProto_DataType.INT64, dims, new Uint8Array(data.buffer)));
    return name;
  }

  /** Adds a node; returns its (first) output name. Node names are numbered for stable output. */
  node(opType: string, inputs: string[], outputs: string[], attributes: Record<string, AttributeValue> = {}): string {
    this.nodes.push(
      create(NodeProtoSchema, {
        input: inputs,
        output: outputs,
        name: `${opType.toLowerCase()}_${this.nodeCount++}`,
        opType,
        attribute: Object.entries(attributes).map(([n, v]) => attribute(n, v)),
      }),
    );
    return outputs[0];
  }

  /** Serializes the model; metadata goes into ModelProto.metadata_props in the given order. */
  build(options: { producerVersion: string; modelVersion: number; docString: string; metadata: Record<string, string> }): Uint8Array {
    const model = create(ModelProtoSchema, {
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: BigInt(OPSET) }],
      producerName: 'vitalchain-fhir models/',
      producerVersion: options.producerVersion,
      modelVersion: BigInt(options.modelVersion),
      docString: options.docString,
      metadataProps: Object.entries(options.metadata).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return toBinary(ModelProtoSchema, model);
  }
}

function valueInfo(name: string, dims: Dim[], elemType: number, docString: string): ValueInfoProto {
  return create(ValueInfoProtoSchema, {
    name,
    docString,
    type: {
      value: {
        case: 'tensorType',
        value: {
          elemType,
          shape: {
            dim: dims.map((d) => ({
              value: typeof d === 'number' ? { case: 'dimValue' as const, value: BigInt(d) } : { case: 'dimParam' as const, value: d },
            })),
          },
        },
      },
    },
  });
}

function rawTensor(name: string, dataType: number, dims: number[], bytes: Uint8Array): TensorProto {
  return create(TensorProtoSchema, { name, dataType, dims: dims.map((d) => BigInt(d)), rawData: Uint8Array.from(bytes) });
}

function attribute(name: string, value: AttributeValue): AttributeProto {
  if ('float' in value) return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOAT, f: value.float });
  if ('int' in value) return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: BigInt(value.int) });
  if ('ints' in value) return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INTS, ints: value.ints.map((v) => BigInt(v)) });
  if ('floats' in value) return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOATS, floats: value.floats });
  return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.STRING, s: new TextEncoder().encode(value.string) });
}
