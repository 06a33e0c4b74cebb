import ort from 'onnxruntime-node';
import type { Device } from '../nodes/types.js';

export type Session = ort.InferenceSession;
export { ort };

export interface OpenedSession {
  session: ort.InferenceSession;
  /** Where it runs: 'cpu', or 'cuda:<id>' when the CUDA provider took it. */
  provider: string;
}

/**
 * Opens a model on the CPU, or on the CUDA provider when the replica holds a real
 * GPU share. A virtual share (declared --gpus, no card) or a binding without the
 * CUDA provider falls back to the CPU with a log line, so a graph still serves.
 */
export async function openSession(modelPath: string, device: Device, log: (m: string) => void = () => {}): Promise<OpenedSession> {
  const base: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all' };
  if (device.type === 'cuda' && !device.virtual) {
    // gpu_mem_limit is the replica's share of the card. onnxruntime-node 1.30 reads only deviceId
    // from a provider entry, so the limit travels for bindings that read it and is logged, not enforced.
    const cuda = { name: 'cuda', deviceId: device.deviceId, gpu_mem_limit: String(Math.floor(device.memoryLimitBytes)) };
    log(`CUDA device ${device.deviceId}, share ${device.share}: gpu_mem_limit ${Math.round(device.memoryLimitBytes / 2 ** 20)} MiB requested`);
    try {
      const session = await ort.InferenceSession.create(modelPath, { ...base, executionProviders: [cuda as ort.InferenceSession.ExecutionProviderConfig] });
      return { session, provider: `cuda:${device.deviceId}` };
    } catch (err) {
      log(`CUDA provider unavailable for ${modelPath} (${(err as Error).message.split('\n')[0]}); running on the CPU`);
    }
  }
  // One intra-op thread: replicas are the unit of parallelism, and the machine is shared.
  const session = await ort.InferenceSession.create(modelPath, { ...base, intraOpNumThreads: 1, interOpNumThreads: 1, executionProviders: ['cpu'] });
  return { session, provider: 'cpu' };
}

/** IEEE half-precision bits to floats (float16 exports return their outputs as Uint16Array). */
export function halfToFloat(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) {
    const x = h[i];
    const sign = x & 0x8000 ? -1 : 1;
    const exp = (x >> 10) & 0x1f;
    const frac = x & 0x3ff;
    out[i] = exp === 0 ? sign * 2 ** -14 * (frac / 1024) : exp === 31 ? (frac ? Number.NaN : sign * Number.POSITIVE_INFINITY) : sign * 2 ** (exp - 15) * (1 + frac / 1024);
  }
  return out;
}

/** A float output as float32, whether the model computes in float32, float16 or float64. */
export function floatData(t: ort.Tensor, what = 'output'): Float32Array {
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float16') return halfToFloat(t.data as Uint16Array);
  if (t.type === 'float64') return Float32Array.from(t.data as Float64Array);
  throw new Error(`${what} is ${t.type}, not a float tensor`);
}

/** The element type the model declares for an input, so ids can be fed as int32 or int64. */
export function inputType(session: ort.InferenceSession, name: string): string | undefined {
  const meta = session.inputMetadata?.find((m) => m.name === name);
  return meta?.isTensor ? meta.type : undefined;
}

/** A [rows, cols] integer tensor of the type the model's input wants (int64 by default). */
export function intTensor(session: ort.InferenceSession, name: string, data: ArrayLike<number>, dims: number[]): ort.Tensor {
  const type = inputType(session, name);
  if (type === 'int32') return new ort.Tensor('int32', Int32Array.from(data), dims);
  const big = new BigInt64Array(data.length);
  for (let i = 0; i < data.length; i++) big[i] = BigInt(data[i]);
  return new ort.Tensor('int64', big, dims);
}
