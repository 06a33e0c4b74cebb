// What the runtime adds per request: a 4-node pass-through graph (input -> echo ->
// echo -> output, the two echoes on worker-thread replicas) against a bare Hono
// handler doing the same JSON echo, both over HTTP at concurrency 32, same process, same run.
import http from 'node:http';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import autocannon from 'autocannon';
import { Hono } from 'hono';
import { createServer } from '../runtime/server/index.js';
import { report } from './lib/report.js';

const CONNECTIONS = 32;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BODY = JSON.stringify({ x: { question: 'what does the runtime add per request?', n: 42, tags: ['a', 'b'] } });

interface Run {
  rps: number;
  mean: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function load(url: string, seconds: number, connections = CONNECTIONS): Promise<Run> {
  const r = await autocannon({ url, method: 'POST', connections, duration: seconds, headers: { 'content-type': 'application/json' }, body: BODY });
  return { rps: r.requests.average, mean: r.latency.mean, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx };
}

/**
 * Latency percentiles to the microsecond (autocannon's are whole milliseconds): `conns`
 * keep-alive loops, each timing its own requests with hrtime, for `seconds`.
 */
async function latencies(url: string, seconds: number, conns = CONNECTIONS): Promise<{ p50: number; p99: number; n: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: conns });
  const { hostname, port, pathname } = new URL(url);
  const body = Buffer.from(BODY);
  const one = () =>
    new Promise<number>((resolve, reject) => {
      const t0 = process.hrtime.bigint();
      const req = http.request({ hostname, port, path: pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
        res.resume();
        res.on('end', () => resolve(Number(process.hrtime.bigint() - t0) / 1e6));
      });
      req.on('error', reject);
      req.end(body);
    });
  const samples: number[] = [];
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: conns }, async () => {
      while (performance.now() < end) samples.push(await one());
    }),
  );
  agent.destroy();
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  return { p50: at(0.5), p99: at(0.99), n: samples.length };
}

// Baseline: the same JSON echo with no graph in between.
const bare = new Hono();
bare.post('/echo', async (c) => c.json((await c.req.json()).x));
const bareServer = serve({ fetch: bare.fetch, port: 0, hostname: '127.0.0.1' });
await new Promise((r) => bareServer.once('listening', r));
const barePort = (bareServer.address() as { port: number }).port;

const beamline = await createServer({ port: 0, nodes: [fileURLToPath(new URL('./lib/echo-node.ts', import.meta.url))], log: () => {} });
const echo = (id: string) => ({ id, kind: 'bench-echo', config: {}, deployment: { maxOngoingRequests: 64, resources: { cpus: 0.1 } } });
const deployed = await beamline.deploy({
  version: 1,
  name: 'passthrough',
  routePrefix: '/passthrough',
  nodes: [{ id: 'input', kind: 'input', config: { fields: { x: 'json' } } }, echo('e1'), echo('e2'), { id: 'output', kind: 'output' }],
  edges: [
    { source: 'input', sourceHandle: 'x', target: 'e1', targetHandle: 'in' },
    { source: 'e1', sourceHandle: 'out', target: 'e2', targetHandle: 'in' },
    { source: 'e2', sourceHandle: 'out', target: 'output', targetHandle: 'in' },
  ],
});
if (!deployed.ok) throw new Error(deployed.error);

const bareUrl = `http://127.0.0.1:${barePort}/echo`;
const graphUrl = `${beamline.url}/passthrough`;
// Same answer from both, so the comparison is like for like.
const [a, b] = await Promise.all([bareUrl, graphUrl].map((u) => fetch(u, { method: 'POST', body: BODY, headers: { 'content-type': 'application/json' } }).then((r) => r.text())));
if (a !== b) throw new Error(`answers differ: ${a} vs ${b}`);

// The machine is shared: alternate short rounds and keep the median of each, so a
// burst of load elsewhere colours both sides rather than one.
await load(bareUrl, 2);
await load(graphUrl, 2);
const bases: Run[] = [];
const graphs: Run[] = [];
for (let i = 0; i < ROUNDS; i++) {
  bases.push(await load(bareUrl, SECONDS));
  graphs.push(await load(graphUrl, SECONDS));
}
const preciseBase = await latencies(bareUrl, SECONDS);
const preciseGraph = await latencies(graphUrl, SECONDS);
// One connection: the latency the runtime adds when nothing queues.
const base1 = await load(bareUrl, SECONDS, 1);
const graph1 = await load(graphUrl, SECONDS, 1);
await beamline.close();
bareServer.close();

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pick = (runs: Run[]): Run => ({
  rps: median(runs.map((r) => r.rps)),
  mean: median(runs.map((r) => r.mean)),
  p50: median(runs.map((r) => r.p50)),
  p99: median(runs.map((r) => r.p99)),
  errors: runs.reduce((s, r) => s + r.errors, 0),
  non2xx: runs.reduce((s, r) => s + r.non2xx, 0),
});
const base = pick(bases);
const graph = pick(graphs);
const ratio = graph.rps / base.rps;
const addedP50 = graph.p50 - base.p50;
const addedP99 = graph.p99 - base.p99;
report({
  name: 'overhead',
  what: `4-node pass-through graph (2 worker-thread replicas) vs a bare Hono JSON echo, HTTP, ${CONNECTIONS} connections, median of ${ROUNDS} alternating ${SECONDS} s rounds (autocannon, same process); load average at the end ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
  summary: [
    { metric: 'requests/s', value: Math.round(graph.rps), baseline: Math.round(base.rps), ratio, target: '>= 0.5x', pass: ratio >= 0.5 },
    { metric: 'p50 added (ms)', value: round3(preciseGraph.p50 - preciseBase.p50), baseline: round3(preciseBase.p50), target: '< 1 ms', pass: preciseGraph.p50 - preciseBase.p50 < 1 },
    { metric: 'p99 added (ms)', value: round3(preciseGraph.p99 - preciseBase.p99), baseline: round3(preciseBase.p99) },
    { metric: 'p50 / p99 added, autocannon (whole ms)', value: `${addedP50} / ${addedP99}`, baseline: `${base.p50} / ${base.p99}` },
    // autocannon's percentiles are whole milliseconds; by Little's law (connections / throughput)
    // the mean time in the system is exact, so the added latency is read from it too.
    { metric: 'mean added (ms), 32 connections', value: round3(((CONNECTIONS / graph.rps) - CONNECTIONS / base.rps) * 1000), baseline: round3((CONNECTIONS / base.rps) * 1000) },
    { metric: 'mean added (ms), 1 connection', value: round3((1 / graph1.rps - 1 / base1.rps) * 1000), baseline: round3((1 / base1.rps) * 1000) },
    { metric: 'requests/s, 1 connection', value: Math.round(graph1.rps), baseline: Math.round(base1.rps), ratio: graph1.rps / base1.rps },
    { metric: 'errors / non-2xx', value: `${graph.errors} / ${graph.non2xx}`, baseline: `${base.errors} / ${base.non2xx}` },
  ],
  details: { baseline: base, graph, precise: { baseline: preciseBase, graph: preciseGraph }, rounds: { baseline: bases, graph: graphs }, oneConnection: { baseline: base1, graph: graph1 }, connections: CONNECTIONS, seconds: SECONDS, load: loadavg() },
});
