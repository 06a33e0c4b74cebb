// Model multiplexing: 20 models served by one classifier node of 4 replicas holding 3 models
// each, requests naming models by a Zipf law (s = 1.1). Model-aware routing (a replica holding
// the model first) against plain power of two choices, the baseline measured in the same run
// on the same server, alternating rounds over the same request sequence: hit rate (calls whose
// replica had the model loaded), loads, p50 and p99. The models are real: copies of the
// repository's vader-sentiment classifier (ONNX model and tokenizer), so a miss pays a real load.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from '../runtime/server/index.js';
import { seededRandom } from '../shared/random.js';
import type { GraphStatus } from '../shared/protocol.js';
import { markdownTable, percentile, report } from './lib/report.js';

const MODELS = 20;
const REPLICAS = 4;
const PER_REPLICA = 3;
const ZIPF_S = 1.1;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const repo = fileURLToPath(new URL('..', import.meta.url));
const modelsDir = mkdtempSync(join(tmpdir(), 'beamline-bench-mux-'));
const ids = Array.from({ length: MODELS }, (_, i) => `m${String(i).padStart(2, '0')}`);
for (const id of ids) cpSync(join(repo, 'models', 'vader-sentiment'), join(modelsDir, 'sentiment', id), { recursive: true });

/** Model ranks drawn by Zipf's law: P(rank k) ∝ 1 / k^s, seeded so both modes see the same sequence. */
function zipfSequence(n: number, seed: number): string[] {
  const w = ids.map((_, k) => 1 / (k + 1) ** ZIPF_S);
  const total = w.reduce((a, b) => a + b, 0);
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => {
    let x = random() * total;
    for (let k = 0; k < w.length; k++) {
      x -= w[k];
      if (x <= 0) return ids[k];
    }
    return ids[ids.length - 1];
  });
}

function graph(name: string) {
  return {
    version: 1,
    name,
    routePrefix: `/${name}`,
    nodes: [
      { id: 'input', kind: 'input', config: { fields: { text: 'text' } } },
      {
        id: 'classify',
        kind: 'classifier',
        config: {},
        deployment: { numReplicas: REPLICAS, maxOngoingRequests: 4, maxQueuedRequests: 10_000, resources: { cpus: 0.5 }, multiplex: { modelsFolder: 'sentiment', maxModelsPerReplica: PER_REPLICA } },
      },
      { id: 'output', kind: 'output' },
    ],
    edges: [
      { source: 'input', sourceHandle: 'text', target: 'classify', targetHandle: 'text' },
      { source: 'classify', sourceHandle: 'label', target: 'output', targetHandle: 'in' },
    ],
  };
}

const server = await createServer({ port: 0, host: '127.0.0.1', cpus: 8, gpus: 0, modelsDir, dataDir: modelsDir, log: () => {} });
// The router reads the switch when the graph deploys: one graph per routing policy, same server.
const modes = [
  { name: 'model-aware', graph: 'aware', env: undefined },
  { name: 'power of two choices', graph: 'p2c', env: 'p2c' },
] as const;
for (const m of modes) {
  if (m.env) process.env.BEAMLINE_MULTIPLEX_ROUTING = m.env;
  else delete process.env.BEAMLINE_MULTIPLEX_ROUTING;
  const res = await fetch(`${server.url}/api/graphs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(graph(m.graph)) });
  if (!res.ok) throw new Error(`deploy ${m.graph}: ${res.status} ${await res.text()}`);
}
delete process.env.BEAMLINE_MULTIPLEX_ROUTING;

async function totals(name: string) {
  const s = (await (await fetch(`${server.url}/api/graphs/${name}`)).json()) as GraphStatus;
  return s.nodes.classify.multiplex ?? { loads: 0, evictions: 0, hits: 0, misses: 0 };
}

/** CONNECTIONS clients in a closed loop over `seq`; each request's latency in ms. */
async function run(name: string, seq: string[]): Promise<number[]> {
  const lat: number[] = [];
  let next = 0;
  const client = async () => {
    while (next < seq.length) {
      const i = next++;
      const t0 = performance.now();
      const res = await fetch(`${server.url}/${name}`, { method: 'POST', headers: { 'content-type': 'application/json', serve_multiplexed_model_id: seq[i] }, body: JSON.stringify({ text: `request ${i} was a wonderful surprise` }) });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`${name}: ${res.status}`);
      lat.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, client));
  return lat;
}

interface Round {
  mode: string;
  round: number;
  hitRate: number;
  loads: number;
  p50: number;
  p99: number;
}
const rounds: Round[] = [];
// A first pass per mode fills the replicas (not measured): the figures are the steady state.
for (const m of modes) await run(m.graph, zipfSequence(REQUESTS / 3, 7));
for (let r = 0; r < ROUNDS; r++) {
  const seq = zipfSequence(REQUESTS, 100 + r);
  for (const m of r % 2 ? [...modes].reverse() : modes) {
    const before = await totals(m.graph);
    const lat = (await run(m.graph, seq)).sort((a, b) => a - b);
    const after = await totals(m.graph);
    const hits = after.hits - before.hits;
    const misses = after.misses - before.misses;
    rounds.push({ mode: m.name, round: r + 1, hitRate: hits / (hits + misses), loads: after.loads - before.loads, p50: percentile(lat, 50), p99: percentile(lat, 99) });
  }
}
await server.close();
rmSync(modelsDir, { recursive: true, force: true });

const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const of = (mode: string, f: (r: Round) => number) => med(rounds.filter((r) => r.mode === mode).map(f));
const [aware, p2c] = modes.map((m) => m.name);
const round2 = (x: number) => Math.round(x * 100) / 100;
report({
  name: 'multiplex',
  what: `Model multiplexing: ${MODELS} models (copies of vader-sentiment), ${REPLICAS} replicas holding ${PER_REPLICA} each, Zipf(s=${ZIPF_S}) model ids, ${CONNECTIONS} connections, ${REQUESTS} requests per round, ${ROUNDS} alternating rounds after a warm-up; model-aware routing against plain power of two choices on the same server and request sequence (medians over rounds).`,
  summary: [
    { metric: 'hit rate, model-aware', value: round2(of(aware, (r) => r.hitRate)), baseline: round2(of(p2c, (r) => r.hitRate)), ratio: round2(of(aware, (r) => r.hitRate) / of(p2c, (r) => r.hitRate)), target: 'higher than power of two choices', pass: of(aware, (r) => r.hitRate) > of(p2c, (r) => r.hitRate) },
    { metric: 'model loads per round, model-aware', value: of(aware, (r) => r.loads), baseline: of(p2c, (r) => r.loads), ratio: round2(of(aware, (r) => r.loads) / Math.max(1, of(p2c, (r) => r.loads))) },
    { metric: 'p50 ms, model-aware', value: round2(of(aware, (r) => r.p50)), baseline: round2(of(p2c, (r) => r.p50)), ratio: round2(of(aware, (r) => r.p50) / of(p2c, (r) => r.p50)) },
    { metric: 'p99 ms, model-aware', value: round2(of(aware, (r) => r.p99)), baseline: round2(of(p2c, (r) => r.p99)), ratio: round2(of(aware, (r) => r.p99) / of(p2c, (r) => r.p99)), target: 'lower than power of two choices', pass: of(aware, (r) => r.p99) < of(p2c, (r) => r.p99) },
  ],
  figure: markdownTable(
    ['mode', 'round', 'hit rate', 'loads', 'p50 ms', 'p99 ms'],
    rounds.map((r) => [r.mode, r.round, round2(r.hitRate), r.loads, round2(r.p50), round2(r.p99)]),
  ),
  details: { rounds },
});
