import protobuf from 'protobufjs';

/**
 * The part of onnx.proto (github.com/onnx/onnx, Apache-2.0) needed to write a
 * model: field numbers as upstream, unused fields left out. Encoded with protobufjs.
 */
const ONNX_PROTO = `
syntax = "proto3";
package onnx;
message AttributeProto {
  string name = 1; float f = 2; int64 i = 3; bytes s = 4; TensorProto t = 5;
  repeated float floats = 7; repeated int64 ints = 8; int32 type = 20;
}
message ValueInfoProto { string name = 1; TypeProto type = 2; string doc_string = 3; }
message NodeProto {
  repeated string input = 1; repeated string output = 2; string name = 3; string op_type = 4;
  repeated AttributeProto attribute = 5; string domain = 7;
}
message ModelProto {
  int64 ir_version = 1; string producer_name = 2; string producer_version = 3; string domain = 4;
  int64 model_version = 5; string doc_string = 6; GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
}
message GraphProto {
  repeated NodeProto node = 1; string name = 2; repeated TensorProto initializer = 5; string doc_string = 10;
  repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12;
}
message TensorProto {
  repeated int64 dims = 1; int32 data_type = 2; string name = 8; bytes raw_data = 9;
}
message TensorShapeProto {
  message Dimension { oneof value { int64 dim_value = 1; string dim_param = 2; } }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { int32 elem_type = 1; TensorShapeProto shape = 2; }
  oneof value { Tensor tensor_type = 1; }
}
message OperatorSetIdProto { string domain = 1; int64 version = 2; }
`;

export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10 } as const;
const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;

const root = protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
const ModelProto = root.lookupType('onnx.ModelProto');

type Attr = number | number[] | { f: number } | { s: string };
export interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, Attr>;
}
export interface Tensor {
  name: string;
  dims: number[];
  type: number;
  /** Raw little-endian values; Uint16Array holds float16 bits. */
  data: Float32Array | Int8Array | Uint8Array | Uint16Array | Int32Array | BigInt64Array;
}
export interface ValueInfo {
  name: string;
  type: number;
  /** Numbers are fixed sizes, strings symbolic (batch, seq). */
  shape: (number | string)[];
}

function attribute(name: string, v: Attr) {
  if (Array.isArray(v)) return { name, type: AttributeType.INTS, ints: v };
  if (typeof v === 'object' && 's' in v) return { name, type: AttributeType.STRING, s: new TextEncoder().encode(v.s) };
  if (typeof v === 'object') return { name, type: AttributeType.FLOAT, f: v.f };
  return { name, type: AttributeType.INT, i: v };
}

function valueInfo(v: ValueInfo) {
  const dim = v.shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d }));
  return { name: v.name, type: { tensor_type: { elem_type: v.type, shape: { dim } } } };
}

/** An opset-17 model as protobuf bytes. */
export function encodeModel(m: { name: string; doc: string; nodes: Node[]; initializers: Tensor[]; inputs: ValueInfo[]; outputs: ValueInfo[]; producer?: string }): Uint8Array {
  const msg = {
    ir_version: 8,
    producer_name: m.producer ?? 'beamline scripts/build-models.ts',
    opset_import: [{ domain: '', version: 17 }],
    doc_string: m.doc,
    graph: {
      name: m.name,
      node: m.nodes.map((n, i) => ({
        name: `${n.op}_${i}`,
        op_type: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      })),
      initializer: m.initializers.map((t) => ({
        name: t.name,
        dims: t.dims,
        data_type: t.type,
        raw_data: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      })),
      input: m.inputs.map(valueInfo),
      output: m.outputs.map(valueInfo),
    },
  };
  const err = ModelProto.verify(msg);
  if (err) throw new Error(`onnx model: ${err}`);
  return ModelProto.encode(ModelProto.fromObject(msg)).finish();
}

/** A constant int64 initializer (axes for ReduceSum/Unsqueeze); dims [] makes a scalar. */
export function int64s(name: string, values: number[], dims = [values.length]): Tensor {
  return { name, dims, type: DataType.INT64, data: BigInt64Array.from(values.map(BigInt)) };
}

export function floats(name: string, dims: number[], values: Float32Array | number[]): Tensor {
  return { name, dims, type: DataType.FLOAT, data: values instanceof Float32Array ? values : Float32Array.from(values) };
}
