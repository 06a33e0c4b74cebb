/** Small numeric helpers shared by the model nodes. */

export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const n = Math.sqrt(s);
  if (n > 1e-12) for (let i = 0; i < v.length; i++) v[i] /= n;
  return v;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const d = Math.sqrt(dot(a, a) * dot(b, b));
  return d > 1e-12 ? dot(a, b) / d : 0;
}

export function softmax(logits: ArrayLike<number>): number[] {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const exps = Array.from(logits, (x) => Math.exp(x - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Mean of the token vectors of one row of [batch, seq, dim] over its attention mask. */
export function maskedMean(hidden: Float32Array, mask: Int32Array, row: number, seq: number, dim: number): Float32Array {
  const out = new Float32Array(dim);
  let count = 0;
  for (let t = 0; t < seq; t++) {
    if (!mask[row * seq + t]) continue;
    count++;
    const base = (row * seq + t) * dim;
    for (let d = 0; d < dim; d++) out[d] += hidden[base + d];
  }
  if (count > 0) for (let d = 0; d < dim; d++) out[d] /= count;
  return out;
}

/** Row `row` of a [rows, dim] tensor, copied. */
export function rowOf(data: Float32Array, row: number, dim: number): Float32Array {
  return data.slice(row * dim, (row + 1) * dim);
}
