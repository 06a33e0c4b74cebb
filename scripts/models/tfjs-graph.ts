/**
 * A TensorFlow.js graph model (model.json + weight shards) converted op by op to
 * standard ONNX opset-17 ops. Covers the ops the Universal Sentence Encoder Lite
 * graph uses; any other op is refused by name, so a new graph fails loudly rather
 * than converting wrongly. Conventions:
 * - every integer tensor (TF int32 and int64) becomes int64, the type ONNX's shape
 *   and index inputs (Reshape, Slice, GatherND, ScatterND, Unsqueeze) require;
 * - only nodes the requested outputs depend on are written, in dependency order;
 * - `replace` feeds a TF tensor from an ONNX tensor instead (placeholders, or a
 *   value the caller computes its own way), cutting the graph there.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataType, type Node, type Tensor } from './onnx-proto.js';

interface TfAttr {
  i?: string;
  f?: number;
  b?: boolean;
  s?: string | number[];
  type?: number | string;
  list?: { i?: string[] };
}
export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttr>;
}
interface TfWeight {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  quantization?: unknown;
}
export interface TfjsModel {
  modelTopology: { node: TfNode[] };
  weightsManifest: { paths: string[]; weights: TfWeight[] }[];
}
export interface TfConst {
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

/** model.json and its shards: the graph's nodes and every Const's value by name. */
export function readTfjsModel(dir: string): { nodes: TfNode[]; consts: Map<string, TfConst> } {
  const model = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as TfjsModel;
  const consts = new Map<string, TfConst>();
  for (const group of model.weightsManifest) {
    const bytes = Buffer.concat(group.paths.map((p) => readFileSync(join(dir, p))));
    let at = 0;
    for (const w of group.weights) {
      if (w.quantization) throw new Error(`tfjs weight ${w.name}: quantised weights are not supported`);
      const n = w.shape.reduce((a, b) => a * b, 1);
      const copy = new Uint8Array(bytes.subarray(at, at + 4 * n)).buffer;
      if (w.dtype !== 'float32' && w.dtype !== 'int32') throw new Error(`tfjs weight ${w.name}: dtype ${w.dtype} is not supported`);
      consts.set(w.name, { dtype: w.dtype, shape: w.shape, data: w.dtype === 'float32' ? new Float32Array(copy) : new Int32Array(copy) });
      at += 4 * n;
    }
    if (at !== bytes.length) throw new Error(`tfjs weights: the manifest describes ${at} bytes, the shards hold ${bytes.length}`);
  }
  return { nodes: model.modelTopology.node, consts };
}

// TensorFlow DataType enum (types.proto): float, int32, int64, bool.
const TF_FLOAT = 1;
const TF_INT32 = 3;
const TF_INT64 = 9;
const TF_BOOL = 10;
const INT64_MAX = 2 ** 62; // any end past the dimension: Slice clamps it

function onnxType(tf: number): number {
  if (tf === TF_FLOAT) return DataType.FLOAT;
  if (tf === TF_INT32 || tf === TF_INT64) return DataType.INT64;
  if (tf === TF_BOOL) return DataType.BOOL;
  throw new Error(`TF dtype ${tf} is not supported`);
}

export interface Converted {
  nodes: Node[];
  initializers: Tensor[];
}

/**
 * The ONNX nodes and initializers that compute `outputs` (TF tensor name -> ONNX
 * output name). `replace` maps TF tensor names to ONNX tensors the caller provides.
 */
export function tfjsToOnnx(model: { nodes: TfNode[]; consts: Map<string, TfConst> }, opts: { outputs: Record<string, string>; replace: Record<string, string> }): Converted {
  const byName = new Map(model.nodes.map((n) => [n.name, n]));
  const nodes: Node[] = [];
  const initializers: Tensor[] = [];
  const done = new Map<string, string[]>(); // TF node -> its ONNX output names
  let tmp = 0;
  const fresh = (hint: string) => `${hint}__${tmp++}`;
  const emit = (op: string, inputs: string[], attrs?: Node['attrs'], outputs = [fresh(op)]) => {
    nodes.push({ op, inputs, outputs, attrs });
    return outputs[0];
  };
  const int64Const = (name: string, values: number[], dims = [values.length]) => {
    initializers.push({ name, dims, type: DataType.INT64, data: BigInt64Array.from(values.map(BigInt)) });
    return name;
  };

  /** "node", "node:1", "^node" (control edge, dropped by the caller). */
  const parseRef = (ref: string) => {
    const m = /^(.*?)(?::(\d+))?$/.exec(ref)!;
    return { node: m[1], index: Number(m[2] ?? 0) };
  };
  const constOf = (ref: string): TfConst => {
    const { node } = parseRef(ref);
    const c = model.consts.get(node);
    if (!c) throw new Error(`tfjs node ${node}: expected a constant (this converter needs it at build time)`);
    return c;
  };
  const ints = (ref: string) => Array.from(constOf(ref).data as Int32Array);
  const attrInt = (n: TfNode, k: string) => Number(n.attr?.[k]?.i ?? 0);
  const attrBool = (n: TfNode, k: string) => n.attr?.[k]?.b === true;
  const attrType = (n: TfNode, k: string) => Number(n.attr?.[k]?.type ?? TF_FLOAT);
  const attrInts = (n: TfNode, k: string) => (n.attr?.[k]?.list?.i ?? []).map(Number);
  const attrString = (n: TfNode, k: string) => {
    const s = n.attr?.[k]?.s;
    return Array.isArray(s) ? String.fromCharCode(...s) : typeof s === 'string' ? Buffer.from(s, 'base64').toString() : '';
  };

  // Depth-first over what the outputs need; an explicit stack, as graphs can be deep.
  const tensor = (ref: string): string => {
    if (opts.replace[ref] !== undefined) return opts.replace[ref];
    const { node, index } = parseRef(ref);
    if (opts.replace[node] !== undefined && index === 0) return opts.replace[node];
    const outs = done.get(node) ?? convert(node);
    if (outs[index] === undefined) throw new Error(`tfjs node ${node} has no output ${index}`);
    return outs[index];
  };

  const convert = (name: string): string[] => {
    const n = byName.get(name);
    if (!n) throw new Error(`tfjs graph has no node "${name}"`);
    const inputs = (n.input ?? []).filter((i) => !i.startsWith('^'));
    const x = () => tensor(inputs[0]);
    const args = () => inputs.map(tensor);
    const out = [n.name];
    let outs: string[] = out;
    switch (n.op) {
      case 'Const': {
        const c = model.consts.get(n.name);
        if (!c) throw new Error(`tfjs Const ${n.name} has no value in the weights manifest`);
        if (c.dtype === 'float32') initializers.push({ name: n.name, dims: c.shape, type: DataType.FLOAT, data: c.data as Float32Array });
        else int64Const(n.name, Array.from(c.data), c.shape);
        break;
      }
      case 'Identity':
        emit('Identity', [x()], undefined, out);
        break;
      case 'Add':
      case 'AddV2':
      case 'BiasAdd':
        emit('Add', args(), undefined, out);
        break;
      case 'Sub':
      case 'Mul':
      case 'Less':
      case 'Greater':
      case 'Sin':
      case 'Cos':
      case 'Tanh':
      case 'Relu':
        emit(n.op, args(), undefined, out);
        break;
      case 'RealDiv':
        emit('Div', args(), undefined, out);
        break;
      case 'Maximum':
        emit('Max', args(), undefined, out);
        break;
      case 'LogicalNot':
        emit('Not', args(), undefined, out);
        break;
      case 'Square': {
        const v = x();
        emit('Mul', [v, v], undefined, out);
        break;
      }
      case 'Rsqrt':
        emit('Reciprocal', [emit('Sqrt', [x()])], undefined, out);
        break;
      case 'Softmax':
        emit('Softmax', [x()], { axis: -1 }, out);
        break;
      case 'Shape':
        emit('Shape', [x()], undefined, out);
        break;
      case 'Cast': {
        const from = onnxType(attrType(n, 'SrcT'));
        const to = onnxType(attrType(n, 'DstT'));
        emit(from === to ? 'Identity' : 'Cast', [x()], from === to ? undefined : { to }, out);
        break;
      }
      case 'Reshape':
        // allowzero: a 0 in a computed shape means 0 (as in TF), not "copy this dimension" (ONNX's default).
        emit('Reshape', [x(), tensor(inputs[1])], { allowzero: 1 }, out);
        break;
      case 'Transpose':
        emit('Transpose', [x()], { perm: ints(inputs[1]) }, out);
        break;
      case 'ExpandDims':
        emit('Unsqueeze', [x(), int64Const(fresh('axes'), ints(inputs[1]))], undefined, out);
        break;
      case 'Squeeze':
        emit('Squeeze', [x(), int64Const(fresh('axes'), attrInts(n, 'squeeze_dims'))], undefined, out);
        break;
      case 'ConcatV2': {
        const parts = inputs.slice(0, -1).map(tensor);
        emit('Concat', parts, { axis: ints(inputs[inputs.length - 1])[0] }, out);
        break;
      }
      case 'Pack': {
        const axis = attrInt(n, 'axis');
        const axes = int64Const(fresh('axes'), [axis]);
        emit('Concat', args().map((t) => emit('Unsqueeze', [t, axes])), { axis }, out);
        break;
      }
      case 'GatherV2':
        emit('Gather', [tensor(inputs[0]), tensor(inputs[1])], { axis: ints(inputs[2])[0] }, out);
        break;
      case 'GatherNd':
        emit('GatherND', args(), undefined, out);
        break;
      case 'ScatterNd': {
        // TF scatters into zeros of `shape`; ONNX ScatterND updates a given tensor.
        const [indices, updates, shape] = args();
        const zero = fresh('zero');
        initializers.push({ name: zero, dims: [], type: DataType.FLOAT, data: new Float32Array(1) });
        emit('ScatterND', [emit('Expand', [zero, shape]), indices, updates], undefined, out);
        break;
      }
      case 'SparseToDense': {
        const [indices, shape, values, fill] = args();
        emit('ScatterND', [emit('Expand', [fill, shape]), indices, values], undefined, out);
        break;
      }
      case 'Where':
        if (inputs.length !== 1) throw new Error(`tfjs node ${n.name}: Where with ${inputs.length} inputs is not supported`);
        // TF returns the coordinates as rows [N, rank]; NonZero gives them as columns.
        emit('Transpose', [emit('NonZero', [x()])], { perm: [1, 0] }, out);
        break;
      case 'Range':
        emit('Range', args(), undefined, out);
        break;
      case 'Sum':
        // TF takes a scalar axis too; ONNX wants a vector.
        emit('ReduceSum', [x(), int64Const(fresh('axes'), ints(inputs[1]))], { keepdims: attrBool(n, 'keep_dims') ? 1 : 0 }, out);
        break;
      case 'Mean':
      case 'Max':
      case 'Prod': {
        // Opset 17 takes these reductions' axes as an attribute, so they must be constants.
        const op = { Mean: 'ReduceMean', Max: 'ReduceMax', Prod: 'ReduceProd' }[n.op];
        emit(op, [x()], { axes: ints(inputs[1]), keepdims: attrBool(n, 'keep_dims') ? 1 : 0 }, out);
        break;
      }
      case 'MatMul': {
        const a = attrBool(n, 'transpose_a') ? emit('Transpose', [x()], { perm: [1, 0] }) : x();
        const b = attrBool(n, 'transpose_b') ? emit('Transpose', [tensor(inputs[1])], { perm: [1, 0] }) : tensor(inputs[1]);
        emit('MatMul', [a, b], undefined, out);
        break;
      }
      case 'BatchMatMul':
      case 'BatchMatMulV2': {
        // Einsum with an ellipsis transposes the last two axes whatever the rank.
        const lhs = attrBool(n, 'adj_x') ? '...ji' : '...ij';
        const rhs = attrBool(n, 'adj_y') ? '...kj' : '...jk';
        if (lhs === '...ij' && rhs === '...jk') emit('MatMul', args(), undefined, out);
        else emit('Einsum', args(), { equation: { s: `${lhs},${rhs}->...ik` } }, out);
        break;
      }
      case 'Conv2D': {
        // A 1x1 NHWC convolution with unit strides is a matmul over the channel axis.
        const k = constOf(inputs[1]);
        const unit = (v: number[]) => v.length === 0 || v.every((s) => s === 1);
        if (k.shape[0] !== 1 || k.shape[1] !== 1 || !unit(attrInts(n, 'strides')) || !unit(attrInts(n, 'dilations')) || attrString(n, 'data_format') !== 'NHWC') {
          throw new Error(`tfjs node ${n.name}: only 1x1 NHWC Conv2D with unit strides is supported (kernel ${k.shape})`);
        }
        const w = `${n.name}/kernel_2d`;
        initializers.push({ name: w, dims: [k.shape[2], k.shape[3]], type: DataType.FLOAT, data: k.data as Float32Array });
        emit('MatMul', [x(), w], undefined, out);
        break;
      }
      case 'SplitV': {
        const sizes = ints(inputs[1]);
        if (sizes.some((s) => s < 0)) throw new Error(`tfjs node ${n.name}: SplitV with an inferred size is not supported`);
        outs = sizes.map((_, i) => `${n.name}:${i}`);
        nodes.push({ op: 'Split', inputs: [x(), int64Const(fresh('split'), sizes)], outputs: outs, attrs: { axis: ints(inputs[2])[0] } });
        break;
      }
      case 'Slice': {
        // TF Slice takes (begin, size) with size -1 meaning "to the end"; ONNX takes (starts, ends).
        const [data, begin, size] = args();
        const minus1 = int64Const(fresh('minus1'), [-1], []);
        const max = int64Const(fresh('max'), [INT64_MAX], []);
        const ends = emit('Where', [emit('Equal', [size, minus1]), max, emit('Add', [begin, size])]);
        emit('Slice', [data, begin, ends], undefined, out);
        break;
      }
      case 'StridedSlice': {
        if (attrInt(n, 'ellipsis_mask') || attrInt(n, 'new_axis_mask')) throw new Error(`tfjs node ${n.name}: StridedSlice with ellipsis or new axes is not supported`);
        const begin = ints(inputs[1]);
        const end = ints(inputs[2]);
        const strides = ints(inputs[3]);
        const bm = attrInt(n, 'begin_mask');
        const em = attrInt(n, 'end_mask');
        const sm = attrInt(n, 'shrink_axis_mask');
        const starts: number[] = [];
        const ends: number[] = [];
        const shrink: number[] = [];
        begin.forEach((b, i) => {
          const bit = 1 << i;
          if (strides[i] <= 0) throw new Error(`tfjs node ${n.name}: StridedSlice with stride ${strides[i]} is not supported`);
          starts.push(bm & bit ? 0 : b);
          if (sm & bit) {
            ends.push(b === -1 ? INT64_MAX : b + 1);
            shrink.push(i);
          } else ends.push(em & bit ? INT64_MAX : end[i]);
        });
        const axes = begin.map((_, i) => i);
        const sliced = emit('Slice', [x(), int64Const(fresh('starts'), starts), int64Const(fresh('ends'), ends), int64Const(fresh('axes'), axes), int64Const(fresh('steps'), strides)], undefined, shrink.length ? undefined : out);
        if (shrink.length) emit('Squeeze', [sliced, int64Const(fresh('axes'), shrink)], undefined, out);
        break;
      }
      default:
        throw new Error(`tfjs node ${n.name}: op ${n.op} is not supported by scripts/models/tfjs-graph.ts`);
    }
    done.set(n.name, outs);
    return outs;
  };

  for (const [tf, onnx] of Object.entries(opts.outputs)) emit('Identity', [tensor(tf)], undefined, [onnx]);
  return { nodes, initializers };
}
