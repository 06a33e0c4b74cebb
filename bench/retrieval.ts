// Retrieval: exact top-5 over 100,000 chunks of the GloVe dimension (100), as the
// retriever node searches them (a flat Float32Array scanned with a size-k heap),
// against the naive baseline measured in the same run: score every row, then
// sort all the scores. Also the BM25 blend the RAG example uses (the same scan
// plus a keyword score over synthetic chunk texts). Queries are interleaved so
// drift hits both sides alike; every query's ids are checked to match.
import { IndexSearcher } from '../runtime/nodes/retriever.js';
import { normalizeRows } from '../runtime/retrieval/index-files.js';
import { dotAll, topKDot } from '../runtime/retrieval/topk.js';
import { markdownTable, percentile, report } from './lib/report.js';
import { seededRandom } from '../shared/random.js';

const N = 100_000;
const DIM = 100;
const K = 5;
const QUERIES = 200;

const rand = seededRandom(42);
const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

const vectors = new Float32Array(N * DIM);
for (let i = 0; i < vectors.length; i++) vectors[i] = gauss();
normalizeRows(vectors, DIM);
const queries = Array.from({ length: QUERIES }, () => normalizeRows(Float32Array.from({ length: DIM }, gauss), DIM));

function naive(q: Float32Array): number[] {
  const scores = dotAll(vectors, DIM, q);
  const order = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a] || a - b);
  return order.slice(0, K);
}

// Synthetic chunk texts for the keyword blend: 40 words from a 5,000-word vocabulary.
const words = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}`);
const chunks = Array.from({ length: N }, (_, id) => ({ id, source: `doc${id % 1000}.md`, chunk: Math.floor(id / 1000), text: Array.from({ length: 40 }, () => words[Math.floor(rand() ** 2 * words.length)]).join(' ') }));
const searcher = new IndexSearcher({
  name: 'bench',
  dir: '',
  meta: { format: 'beamline-index', version: 1, dim: DIM, count: N, model: 'random', normalized: true, createdAt: '', chunkSize: 800, chunkOverlap: 100 },
  vectors,
  chunks,
});
let t = performance.now();
searcher.lexical();
const bm25BuildMs = performance.now() - t;
const queryTexts = queries.map(() => Array.from({ length: 6 }, () => words[Math.floor(rand() * words.length)]).join(' '));

const heapMs: number[] = [];
const naiveMs: number[] = [];
const nodeMs: number[] = [];
const hybridMs: number[] = [];
let mismatches = 0;
for (let round = -1; round < 1; round++) {
  // Round -1 warms the JIT and is not recorded.
  for (let i = 0; i < QUERIES; i++) {
    const q = queries[i];
    t = performance.now();
    const fast = topKDot(vectors, DIM, q, K).map((h) => h.index);
    const a = performance.now() - t;
    t = performance.now();
    const slow = naive(q);
    const b = performance.now() - t;
    t = performance.now();
    searcher.search(q, { topK: K, minScore: -1 });
    const c = performance.now() - t;
    t = performance.now();
    searcher.search(q, { topK: K, minScore: -1, lexicalWeight: 0.5, query: queryTexts[i] });
    const d = performance.now() - t;
    if (round < 0) continue;
    if (fast.join() !== slow.join()) mismatches++;
    heapMs.push(a);
    naiveMs.push(b);
    nodeMs.push(c);
    hybridMs.push(d);
  }
}
const stats = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  return { p50: percentile(s, 50), p99: percentile(s, 99), mean: s.reduce((x, y) => x + y, 0) / s.length };
};
const heap = stats(heapMs);
const base = stats(naiveMs);
const node = stats(nodeMs);
const hybrid = stats(hybridMs);
const r2 = (x: number) => Math.round(x * 100) / 100;
const speedup = base.p50 / heap.p50;

report({
  name: 'retrieval',
  what: `Exact top-${K} cosine over ${N.toLocaleString('en')} random unit vectors of dimension ${DIM} (${((N * DIM * 4) / 2 ** 20).toFixed(0)} MiB flat Float32Array), ${QUERIES} queries after a warm-up round. Baseline: score every row and sort all scores, in the same run. "retriever search" is the node's own path (heap scan + document objects); "with BM25 blend" adds the keyword score (lexicalWeight 0.5) over synthetic 40-word chunk texts.`,
  summary: [
    { metric: 'heap scan p50 (ms)', value: r2(heap.p50), baseline: r2(base.p50), ratio: r2(base.p50 / heap.p50), target: '≥ 5× faster than full sort', pass: speedup >= 5 },
    { metric: 'heap scan p99 (ms)', value: r2(heap.p99), baseline: r2(base.p99), ratio: r2(base.p99 / heap.p99) },
    { metric: 'retriever search p50 (ms)', value: r2(node.p50), baseline: r2(base.p50), ratio: r2(base.p50 / node.p50) },
    { metric: 'with BM25 blend p50 (ms)', value: r2(hybrid.p50), baseline: r2(base.p50), ratio: r2(base.p50 / hybrid.p50) },
    { metric: 'top-5 ids differing from the baseline', value: mismatches, target: '0', pass: mismatches === 0 },
  ],
  figure: markdownTable(
    ['method', 'p50 ms', 'p99 ms', 'mean ms'],
    [
      ['full sort (baseline)', r2(base.p50), r2(base.p99), r2(base.mean)],
      ['heap scan (topKDot)', r2(heap.p50), r2(heap.p99), r2(heap.mean)],
      ['retriever search', r2(node.p50), r2(node.p99), r2(node.mean)],
      ['with BM25 blend', r2(hybrid.p50), r2(hybrid.p99), r2(hybrid.mean)],
    ],
  ),
  details: { n: N, dim: DIM, k: K, queries: QUERIES, bm25BuildMs: Math.round(bm25BuildMs) },
});
if (mismatches > 0) process.exitCode = 1;
