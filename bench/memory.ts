// Resident memory of the runtime: idle, with the RAG example deployed (one
// replica per node), and per extra embedder replica. Each figure comes from a
// fresh process (bench/lib/memory-child.ts), median of a few runs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './lib/load.js';
import { markdownTable, report } from './lib/report.js';

const RUNS = Number(process.env.BENCH_ROUNDS ?? 3);
const EXTRA = 3;
const repo = fileURLToPath(new URL('..', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'beamline-bench-memory-'));

function measure(opts: object): { rssMb: number; heapMb: number; running: number } {
  const out = execFileSync(process.execPath, ['--expose-gc', join(repo, 'bin', 'tsx.js'), join(repo, 'bench', 'lib', 'memory-child.ts'), JSON.stringify({ ...opts, dataDir })], { cwd: repo, encoding: 'utf8', timeout: 180_000 });
  const line = out.trim().split('\n').at(-1)!;
  return JSON.parse(line);
}

// The first RAG run builds the retrieval index; measure after it exists.
measure({ rag: true });
const idle: number[] = [];
const rag: number[] = [];
const more: number[] = [];
let replicas = { one: 0, more: 0 };
for (let i = 0; i < RUNS; i++) {
  idle.push(measure({}).rssMb);
  const a = measure({ rag: true, embedReplicas: 1 });
  rag.push(a.rssMb);
  const b = measure({ rag: true, embedReplicas: 1 + EXTRA });
  more.push(b.rssMb);
  replicas = { one: a.running, more: b.running };
}
const mIdle = median(idle);
const mRag = median(rag);
const mMore = median(more);
const perReplica = (mMore - mRag) / EXTRA;
const r = (x: number) => Math.round(x);
report({
  name: 'memory',
  what: `Resident set (RSS) of the whole runtime process, worker-thread replicas included, after a request through every node, three garbage collections and 3 s idle; each figure from a fresh process, median of ${RUNS}. RAG = examples/rag (preprocessor, GloVe embedder, retriever over its docs index, extractive answerer: ${replicas.one} replicas); per extra replica = (RAG with ${1 + EXTRA} embedder replicas − RAG) / ${EXTRA}.`,
  summary: [
    { metric: 'idle runtime RSS (MB)', value: r(mIdle) },
    { metric: `RAG deployed, ${replicas.one} replicas (MB)`, value: r(mRag), baseline: r(mIdle), ratio: mRag / mIdle },
    { metric: 'per extra embedder replica (MB)', value: r(perReplica) },
  ],
  figure: markdownTable(
    ['run', 'idle MB', 'RAG MB', `RAG + ${EXTRA} embedder replicas MB`],
    idle.map((_, i) => [i + 1, r(idle[i]), r(rag[i]), r(more[i])]),
  ),
  notes:
    'Replicas are worker threads in the runtime process (bench/transport compares them with child processes), so one RSS covers them all. An embedder replica holds its own onnxruntime session and tokenizer.',
  details: { idle, rag, more, replicas, extra: EXTRA },
});
