/**
 * Exact top-k over a score array or a flat row-major matrix. A size-k min-heap
 * keeps the best so far, so a scan costs O(n log k) instead of a full O(n log n) sort.
 */

export interface Hit {
  index: number;
  score: number;
}

/** Bounded min-heap of (index, score): the root is the worst hit kept. */
class MinHeap {
  readonly idx: Int32Array;
  readonly val: Float32Array;
  size = 0;
  constructor(readonly cap: number) {
    this.idx = new Int32Array(cap);
    this.val = new Float32Array(cap);
  }
  offer(i: number, v: number): void {
    if (this.size < this.cap) {
      let c = this.size++;
      // Sift up.
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (this.val[p] <= v) break;
        this.idx[c] = this.idx[p];
        this.val[c] = this.val[p];
        c = p;
      }
      this.idx[c] = i;
      this.val[c] = v;
      return;
    }
    if (v <= this.val[0]) return;
    // Replace the root and sift down.
    let c = 0;
    for (;;) {
      const l = 2 * c + 1;
      if (l >= this.size) break;
      const r = l + 1;
      const m = r < this.size && this.val[r] < this.val[l] ? r : l;
      if (this.val[m] >= v) break;
      this.idx[c] = this.idx[m];
      this.val[c] = this.val[m];
      c = m;
    }
    this.idx[c] = i;
    this.val[c] = v;
  }
  /** Best first; ties keep the lower index first so results are deterministic. */
  sorted(): Hit[] {
    const out: Hit[] = [];
    for (let i = 0; i < this.size; i++) out.push({ index: this.idx[i], score: this.val[i] });
    return out.sort((a, b) => b.score - a.score || a.index - b.index);
  }
}

/** The k highest scores at or above minScore, best first. */
export function topKScores(scores: Float32Array, k: number, minScore = Number.NEGATIVE_INFINITY): Hit[] {
  const heap = new MinHeap(Math.max(0, Math.min(k, scores.length)));
  if (heap.cap === 0) return [];
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (s >= minScore) heap.offer(i, s);
  }
  return heap.sorted();
}

/** Dot product of the query with every row (cosine when both are unit length). */
export function dotAll(vectors: Float32Array, dim: number, query: Float32Array, out = new Float32Array(vectors.length / dim)): Float32Array {
  for (let row = 0, off = 0; off < vectors.length; row++, off += dim) out[row] = dot(vectors, off, query, dim);
  return out;
}

/** Four partial sums: shorter dependency chains let the CPU overlap the multiply-adds. */
function dot(v: Float32Array, off: number, q: Float32Array, dim: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  for (; j + 3 < dim; j += 4) {
    s0 += v[off + j] * q[j];
    s1 += v[off + j + 1] * q[j + 1];
    s2 += v[off + j + 2] * q[j + 2];
    s3 += v[off + j + 3] * q[j + 3];
  }
  for (; j < dim; j++) s0 += v[off + j] * q[j];
  return s0 + s1 + (s2 + s3);
}

/** One pass: score each row and keep the best k, without a score array. */
export function topKDot(vectors: Float32Array, dim: number, query: Float32Array, k: number, minScore = Number.NEGATIVE_INFINITY): Hit[] {
  const n = vectors.length / dim;
  const heap = new MinHeap(Math.max(0, Math.min(k, n)));
  if (heap.cap === 0) return [];
  for (let row = 0, off = 0; row < n; row++, off += dim) {
    const s = dot(vectors, off, query, dim);
    if (s >= minScore) heap.offer(row, s);
  }
  return heap.sorted();
}
