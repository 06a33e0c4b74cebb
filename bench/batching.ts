// Dynamic batching: an embedder node at concurrency 64 over HTTP with batching
// vs without, and vs the limit: the same node implementation called in this
// process in one batched loop (tokenisation, model and pooling included, no
// HTTP, no runtime). Two models: the RAG example's GloVe embedder (tokeniser
// bound) and a transformer-sized encoder built here (model bound).
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { embedder } from '../runtime/nodes/embedder.js';
import { createServer } from '../runtime/server/index.js';
import { markdownTable, report, type SummaryRow } from './lib/report.js';
import { median, postLoad, sentences } from './lib/load.js';
import { MINI, writeTransformerFolder } from './lib/transformer.js';

const CONNECTIONS = 64;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const BATCH = { maxBatchSize: 32, batchWaitTimeoutMs: 2 };
/** CPUs the replica reserves: a batching replica runs one batch per whole CPU at once. */
const CPUS = Number(process.env.BENCH_CPUS ?? 2);

const repo = fileURLToPath(new URL('..', import.meta.url));
const docsDir = join(repo, 'examples', 'rag', 'docs');
const docs = readdirSync(docsDir).map((f) => readFileSync(join(docsDir, f), 'utf8'));
// BENCH_UNIFORM=1 keeps sentences of 60-90 characters: how much of a batch is padding.
const text = process.env.BENCH_UNIFORM ? sentences(docs, 60, 90) : sentences(docs);

const modelsDir = mkdtempSync(join(tmpdir(), 'beamline-bench-models-'));
const params = writeTransformerFolder(join(modelsDir, 'transformer'), join(repo, 'models', 'glove-100d'), MINI);

interface Case {
  name: string;
  model: string;
  modelDominates: boolean;
}
const cases: Case[] = [
  { name: 'GloVe embedder (RAG)', model: 'builtin:glove-100d', modelDominates: false },
  { name: `transformer ${MINI.layers}x${MINI.dim} (${(params / 1e6).toFixed(1)}M params)`, model: 'transformer', modelDominates: true },
];

function graph(name: string, model: string, batching: typeof BATCH | null) {
  return {
    version: 1,
    name,
    routePrefix: `/${name}`,
    nodes: [
      { id: 'input', kind: 'input', config: { fields: { text: 'text' } } },
      { id: 'embed', kind: 'embedder', config: { model, maxLength: 64 }, deployment: { numReplicas: 1, maxOngoingRequests: CONNECTIONS, maxQueuedRequests: 10_000, resources: { cpus: CPUS }, batching } },
      { id: 'output', kind: 'output' },
    ],
    edges: [
      { source: 'input', sourceHandle: 'text', target: 'embed', targetHandle: 'text' },
      { source: 'embed', sourceHandle: 'vector', target: 'output', targetHandle: 'in' },
    ],
  };
}

/** The limit: the node's own batch() over distinct texts in a loop, in this process. */
async function limit(model: string, seconds: number): Promise<number> {
  const ctx = { graph: 'bench', node: 'embed', kind: 'embedder', replica: 'limit', dataDir: tmpdir(), modelsDir, device: { type: 'cpu' as const }, log: () => {} };
  const node = await embedder.setup({ model, pooling: 'auto', normalize: true, maxLength: 64 }, ctx);
  let i = 1_000_000;
  const round = async () => {
    const items = Array.from({ length: BATCH.maxBatchSize }, () => ({ text: text(i++) }));
    const out = await node.batch!(items, []);
    if (out.some((o) => o instanceof Error)) throw new Error('limit batch failed');
  };
  for (let k = 0; k < 5; k++) await round();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < seconds * 1000) {
    await round();
    n += BATCH.maxBatchSize;
  }
  const rate = n / ((performance.now() - t0) / 1000);
  await node.close?.();
  return rate;
}

// Logical CPUs to schedule against: both graphs' replicas must be placed (the machine's cores are shared either way).
const server = await createServer({ port: 0, cpus: 16, modelsDir, log: () => {}, dataDir: join(modelsDir, 'data') });
const summary: SummaryRow[] = [];
const rows: (string | number)[][] = [];
const details: unknown[] = [];
const only = process.env.BENCH_CASE;
for (const c of cases.filter((x) => !only || x.model.includes(only))) {
  const slug = c.model === 'transformer' ? 'tr' : 'glove';
  for (const [suffix, batching] of [
    ['b', BATCH],
    ['u', null],
  ] as const) {
    const r = await server.deploy(graph(`${slug}-${suffix}`, c.model, batching));
    if (!r.ok) throw new Error(`${c.name}: ${r.error} ${JSON.stringify(r.errors)}`);
  }
  const url = (s: string) => `${server.url}/${slug}-${s}`;
  const body = (i: number) => ({ text: text(i) });
  await postLoad(url('b'), { connections: CONNECTIONS, seconds: 1, body });
  await postLoad(url('u'), { connections: CONNECTIONS, seconds: 1, body });
  // Alternate short rounds and keep medians: the machine is shared, so a burst of
  // load elsewhere should colour both sides rather than one.
  const b: number[] = [];
  const u: number[] = [];
  const lim: number[] = [];
  let failed = 0;
  const p50 = { b: [] as number[], u: [] as number[] };
  for (let k = 0; k < ROUNDS; k++) {
    const rb = await postLoad(url('b'), { connections: CONNECTIONS, seconds: SECONDS, body });
    const ru = await postLoad(url('u'), { connections: CONNECTIONS, seconds: SECONDS, body });
    lim.push(await limit(c.model, SECONDS));
    b.push(rb.rps);
    u.push(ru.rps);
    p50.b.push(rb.p50);
    p50.u.push(ru.p50);
    failed += rb.failed + ru.failed;
  }
  const status = (await (await fetch(`${server.url}/api/graphs/${slug}-b`)).json()) as { nodes: { embed: { metrics: { batchSize: number | null } } } };
  const meanBatch = status.nodes.embed.metrics.batchSize ?? 1;
  await server.controller.remove(`${slug}-b`);
  await server.controller.remove(`${slug}-u`);
  const mb = median(b);
  const mu = median(u);
  const ml = median(lim);
  summary.push({
    metric: `${c.name}: batched vs unbatched (req/s)`,
    value: Math.round(mb),
    baseline: Math.round(mu),
    ratio: mb / mu,
    ...(c.modelDominates ? { target: '≥ 3×', pass: mb / mu >= 3 } : {}),
  });
  summary.push({ metric: `${c.name}: batched vs the in-process batched loop (texts/s)`, value: Math.round(mb), baseline: Math.round(ml), ratio: mb / ml, target: '≥ 0.8×', pass: mb / ml >= 0.8 });
  summary.push({ metric: `${c.name}: failed requests`, value: failed, target: '0', pass: failed === 0 });
  rows.push([c.name, Math.round(mu), Math.round(mb), Math.round(ml), median(p50.u), median(p50.b), meanBatch]);
  details.push({ case: c.name, batched: b, unbatched: u, limit: lim, p50, meanBatch, failed });
}
await server.close();

report({
  name: 'batching',
  what: `An embedder node (1 replica, maxOngoingRequests ${CONNECTIONS}) over HTTP at ${CONNECTIONS} concurrent clients for ${SECONDS} s × ${ROUNDS} alternating rounds, with batching (maxBatchSize ${BATCH.maxBatchSize}, batchWaitTimeoutMs ${BATCH.batchWaitTimeoutMs}) and without (batching: null, calls run one by one through the node's call()), against the limit: the same node implementation's batch() over ${BATCH.maxBatchSize} distinct texts at a time in this process (tokenisation, ONNX model and pooling included; no HTTP, no runtime). Every request is a distinct sentence from the RAG docs, so the tokeniser cache does not answer it. Models: the RAG example's GloVe embedder, and a ${MINI.layers}-layer transformer encoder (dim ${MINI.dim}, ffn ${MINI.ffn}) built by the bench with the same tokenizer.`,
  summary,
  figure: markdownTable(['model', 'unbatched req/s', 'batched req/s', 'limit texts/s', 'p50 unbatched ms', 'p50 batched ms', 'mean batch'], rows),
  notes:
    'Both graphs reserve ' + CPUS + ' CPUs for their one replica. Unbatched, up to 64 calls run session.run side by side and onnxruntime-node spreads them over its worker threads; batched, the replica runs one batch per whole reserved CPU at once (runtime/batching.ts concurrentBatches), so both use the same cores. On this machine (2 cores shared with the load generator, the HTTP server and other work; onnxruntime with one intra-op thread per session) the transformer gains little from a batch dimension: a 16-token sentence through the 4-layer encoder is already a GEMM large enough for one core, and a batch pads every text to its longest one. With sentences of similar length (BENCH_UNIFORM=1, 60-90 characters, so padding is small) one run gave batched 1056 req/s, unbatched 1131, limit 1142: batched and unbatched meet the in-process limit, so on this CPU the model simply costs the same per sentence at batch 1 and at batch 32, and the ≥ 3× target is not met. Batching removes per-call work (one message, one tokeniser call, one session.run per batch rather than per request); on a GPU, where a batch of 32 costs about what one sentence does, the same path turns that into the multiple. For the GloVe embedder the model is nearly free: the limit is tokenisation alone, while each request over HTTP also pays the parser, the executor and the worker hop (bench/overhead), which the in-process loop does not. Figures move by ±30% between runs on this shared machine; compare ratios from one run.',
  details,
});
