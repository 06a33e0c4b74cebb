/**
 * The two reduced-precision layouts exporters write, as rewrites of a model spec
 * (encodeModel's argument), so a float32 builder gives all three:
 * - halfPrecision: float16 weights, inputs and outputs, as `optimum-cli export onnx --dtype fp16`
 *   writes them; the arithmetic is done in float32 behind Casts (onnxruntime's CPU provider
 *   lacks float16 kernels for several ops), which changes the layout a node sees not at all;
 * - dynamicInt8: onnxruntime.quantization.quantize_dynamic's pattern for each MatMul with a
 *   constant weight: DynamicQuantizeLinear on the activation (uint8, scale, zero point),
 *   MatMulInteger with int8 weights, Cast to float, Mul by both scales.
 */
import { DataType, type encodeModel, type Node, type Tensor } from './onnx-proto.js';

export type ModelSpec = Parameters<typeof encodeModel>[0];

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE binary16 bits of a number, rounded to nearest even (overflow to infinity, underflow to subnormals/0). */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m;
  }
  let m = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Float32 weights rounded through float16 (what a float16 export computes with). */
export function roundToHalf(xs: Float32Array): Float32Array {
  return xs.map((x) => halfToFloat(floatToHalf(x)));
}

/** Float16 weights, inputs and outputs; int inputs and outputs stay as they are. */
export function halfPrecision(m: ModelSpec): ModelSpec {
  const floatIn = new Set(m.inputs.filter((v) => v.type === DataType.FLOAT).map((v) => v.name));
  const floatOut = new Set(m.outputs.filter((v) => v.type === DataType.FLOAT).map((v) => v.name));
  // Inside the graph, float inputs are read after a Cast and float outputs are written before one.
  const inner = (t: string) => (floatIn.has(t) ? `${t}__f32in` : floatOut.has(t) ? `${t}__f32` : t);
  const casts: Node[] = [];
  const initializers: Tensor[] = m.initializers.map((t) => {
    if (t.type !== DataType.FLOAT) return t;
    const data = Uint16Array.from(t.data as Float32Array, floatToHalf);
    casts.push({ op: 'Cast', inputs: [`${t.name}__fp16`], outputs: [t.name], attrs: { to: DataType.FLOAT } });
    return { name: `${t.name}__fp16`, dims: t.dims, type: DataType.FLOAT16, data };
  });
  for (const name of floatIn) casts.push({ op: 'Cast', inputs: [name], outputs: [inner(name)], attrs: { to: DataType.FLOAT } });
  const nodes: Node[] = [
    ...casts,
    ...m.nodes.map((n) => ({ ...n, inputs: n.inputs.map(inner), outputs: n.outputs.map(inner) })),
    ...[...floatOut].map((name): Node => ({ op: 'Cast', inputs: [inner(name)], outputs: [name], attrs: { to: DataType.FLOAT16 } })),
  ];
  const half = <V extends { type: number }>(v: V): V => (v.type === DataType.FLOAT ? { ...v, type: DataType.FLOAT16 } : v);
  return { ...m, inputs: m.inputs.map(half), outputs: m.outputs.map(half), initializers, nodes };
}

/** Symmetric per-tensor int8: q = round(w / scale), scale = max|w| / 127. */
export function quantiseInt8(w: Float32Array): { q: Int8Array; scale: number } {
  let max = 0;
  for (const x of w) max = Math.max(max, Math.abs(x));
  const scale = max > 0 ? max / 127 : 1;
  return { q: Int8Array.from(w, (x) => Math.max(-127, Math.min(127, Math.round(x / scale)))), scale };
}

/** Every MatMul whose second input is a 2-D float initializer becomes the dynamic int8 pattern. */
export function dynamicInt8(m: ModelSpec): ModelSpec {
  const byName = new Map(m.initializers.map((t) => [t.name, t]));
  const quantised = new Set<string>();
  const extra: Tensor[] = [];
  const nodes: Node[] = [];
  for (const [i, n] of m.nodes.entries()) {
    const w = n.op === 'MatMul' ? byName.get(n.inputs[1]) : undefined;
    if (!w || w.type !== DataType.FLOAT || w.dims.length !== 2) {
      nodes.push(n);
      continue;
    }
    const p = `${n.outputs[0]}__q${i}`;
    if (!quantised.has(w.name)) {
      const { q, scale } = quantiseInt8(w.data as Float32Array);
      extra.push(
        { name: `${w.name}_quantized`, dims: w.dims, type: DataType.INT8, data: q },
        { name: `${w.name}_scale`, dims: [], type: DataType.FLOAT, data: Float32Array.of(scale) },
        { name: `${w.name}_zero_point`, dims: [], type: DataType.INT8, data: new Int8Array(1) },
      );
      quantised.add(w.name);
    }
    nodes.push(
      { op: 'DynamicQuantizeLinear', inputs: [n.inputs[0]], outputs: [`${p}_a`, `${p}_a_scale`, `${p}_a_zp`] },
      { op: 'MatMulInteger', inputs: [`${p}_a`, `${w.name}_quantized`, `${p}_a_zp`, `${w.name}_zero_point`], outputs: [`${p}_int32`] },
      { op: 'Cast', inputs: [`${p}_int32`], outputs: [`${p}_float`], attrs: { to: DataType.FLOAT } },
      { op: 'Mul', inputs: [`${p}_a_scale`, `${w.name}_scale`], outputs: [`${p}_scale`] },
      { op: 'Mul', inputs: [`${p}_float`, `${p}_scale`], outputs: n.outputs },
    );
  }
  // The float weights that were quantised are gone from the file, as in quantize_dynamic's output.
  const stillUsed = new Set(nodes.flatMap((n) => n.inputs));
  return { ...m, nodes, initializers: [...m.initializers.filter((t) => !quantised.has(t.name) || stillUsed.has(t.name)), ...extra] };
}
