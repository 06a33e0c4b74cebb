// Profile step 5 (docs/tuning.md): whole-graph requests through a real HTTP server at low load, so the model knows
// what the points (each node alone, back to back) leave out — the request path outside the nodes
// (HTTP, JSON, executor, inline nodes, hops) and each node's time inside a graph whose threads idle
// between requests while the other nodes run.
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Plan } from '../../shared/plan.js';
import type { InGraphCalibration, ServiceStats } from '../../shared/tuning.js';
import { invokeGraph } from '../dataplane/invoke.js';
import type { ServedGraph } from '../dataplane/interface.js';
import { seededRandom } from '../../shared/random.js';
import { summarize } from './stats.js';

export interface CalibrateOptions {
  /** Mean pause between requests, ms (exponential; default 20: the replicas go idle between them as under open-loop load). */
  thinkMs?: number;
  /** Requests measured (default 300) and the most time spent (default 8000 ms), after 5 warm-up requests. */
  requests?: number;
  maxMs?: number;
  signal?: AbortSignal;
}

const MIN_REQUESTS = 10;

export interface Calibration {
  graph: InGraphCalibration;
  /** Per replica-backed node: its time per call inside those requests (executor side, hop included). */
  nodes: Record<string, ServiceStats>;
}

/** Sends `samples` in turn, one at a time, to `graph` behind an HTTP server on 127.0.0.1; throws what a request threw. */
export async function calibrate(plan: Plan, graph: ServedGraph, samples: readonly Record<string, unknown>[], o: CalibrateOptions = {}): Promise<Calibration> {
  let spans = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const mine = spans;
      invokeGraph(graph, JSON.parse(Buffer.concat(chunks).toString('utf8')), { timeoutMs: 300_000, trace: false, hooks: { onEnd: (node, span) => mine.set(node, span.end - span.start) } }).then(
        (r) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(r.output)),
        (e: Error) => res.writeHead(500).end(e.message),
      );
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const post = (body: string) =>
    new Promise<void>((ok, fail) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => (status === 200 ? ok() : fail(new Error(`the graph answered ${status}: ${Buffer.concat(chunks).toString('utf8')}`))));
      });
      req.on('error', fail);
      req.end(body);
    });
  const bodies = samples.map((s) => JSON.stringify(s));
  const rand = seededRandom(11);
  const thinkMs = o.thinkMs ?? 20;
  const idx = new Map(plan.order.map((id, i) => [id, i]));
  const ups = plan.order.map((id) => plan.nodes[id].upstream.map((u) => idx.get(u)!));
  const outs = plan.outputNodes.map((id) => idx.get(id)!);
  const totals: number[] = [];
  const overheads: number[] = [];
  const perNode = new Map<string, number[]>();
  try {
    for (let i = 0; i < 5; i++) await post(bodies[i % bodies.length]);
    const t0 = performance.now();
    // At least MIN_REQUESTS however slow the graph, so a slow graph still gets a distribution.
    for (let i = 0; i < (o.requests ?? 300) && (i < MIN_REQUESTS || performance.now() - t0 < (o.maxMs ?? 8000)) && !o.signal?.aborted; i++) {
      await new Promise((ok) => setTimeout(ok, -Math.log(1 - rand()) * thinkMs));
      spans = new Map();
      const got = spans;
      const t = performance.now();
      await post(bodies[i % bodies.length]);
      const total = performance.now() - t;
      // The slowest chain of node times: a node starts at the latest finish of its inputs.
      const finish = new Float64Array(plan.order.length);
      for (let k = 0; k < plan.order.length; k++) {
        const id = plan.order[k];
        const own = plan.nodes[id].runsIn === 'replica' ? (got.get(id) ?? 0) : 0;
        finish[k] = Math.max(0, ...ups[k].map((u) => finish[u])) + own;
        if (plan.nodes[id].runsIn === 'replica' && got.has(id)) (perNode.get(id) ?? perNode.set(id, []).get(id)!).push(own);
      }
      totals.push(total);
      overheads.push(Math.max(0, total - Math.max(...outs.map((k) => finish[k]))));
    }
  } finally {
    agent.destroy();
    await new Promise((ok) => server.close(ok));
  }
  const nodes: Record<string, ServiceStats> = {};
  for (const [id, xs] of perNode) nodes[id] = summarize(xs);
  return { graph: { requests: totals.length, endToEndMs: summarize(totals), overheadMs: summarize(overheads) }, nodes };
}
