// Overload: a node with a known capacity (1 replica x 2 in flight x 50 ms = 40 requests/s,
// 4 queued) is offered 10x that for 30 s (BENCH_SECONDS). Measured against the same
// node at capacity in the same run: admitted requests complete, the rest get 503 +
// Retry-After at once (their latency vs the admitted ones'), resident memory stays
// flat (spread of RSS over the run), and how soon throughput returns afterwards.
import { fileURLToPath } from 'node:url';
import { createServer } from '../runtime/server/index.js';
import { report } from './lib/report.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const SLEEP_MS = 50;
const IN_FLIGHT = 2;
const QUEUE = 4;
const CAPACITY_RPS = (1000 / SLEEP_MS) * IN_FLIGHT;
const OVERLOAD = 10;

const testkit = fileURLToPath(new URL('../test/fixtures/nodes/testkit.ts', import.meta.url));
const server = await createServer({ port: 0, nodes: [testkit], cpus: 4, gpus: 0, log: () => {} });
const deployed = await server.deploy({
  version: 1,
  name: 'over',
  routePrefix: '/over',
  nodes: [
    { id: 'input', kind: 'input', config: { fields: { x: 'json' } } },
    { id: 'o', kind: 'test-echo', config: { sleepMs: SLEEP_MS }, deployment: { numReplicas: 1, maxOngoingRequests: IN_FLIGHT, maxQueuedRequests: QUEUE } },
    { id: 'output', kind: 'output' },
  ],
  edges: [
    { source: 'input', sourceHandle: 'x', target: 'o', targetHandle: 'in' },
    { source: 'o', sourceHandle: 'out', target: 'output', targetHandle: 'in' },
  ],
});
if (!deployed.ok) throw new Error(deployed.error);
const url = `${server.url}/over`;
const router = server.controller.get('over')!.routers.get('o')!;

interface Outcome {
  status: number;
  ms: number;
  retryAfter: boolean;
  right: boolean;
}
async function one(i: number): Promise<Outcome> {
  const t0 = performance.now();
  try {
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: i }) });
    const body = await r.json();
    return { status: r.status, ms: performance.now() - t0, retryAfter: Number(r.headers.get('retry-after')) >= 1, right: r.status !== 200 || body === i };
  } catch {
    return { status: 0, ms: performance.now() - t0, retryAfter: false, right: true };
  }
}

/** Closed loop at `conns` concurrency for `seconds`: completed 200s per second. */
async function closedLoop(conns: number, seconds: number): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let ok = 0;
  await Promise.all(
    Array.from({ length: conns }, async (_, c) => {
      for (let i = 0; performance.now() < end; i++) if ((await one(c * 1e6 + i)).status === 200) ok++;
    }),
  );
  return ok / seconds;
}

const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] : Number.NaN);

// Baseline: exactly as many clients as the node works on at once.
const baselineRps = await closedLoop(IN_FLIGHT, 5);

// Overload: open loop at 10x capacity, in 10 ms ticks.
const rate = CAPACITY_RPS * OVERLOAD;
const outcomes: Promise<Outcome>[] = [];
const rss: number[] = [];
let maxQueued = 0;
const t0 = performance.now();
let nextSample = 0;
while (performance.now() - t0 < SECONDS * 1000) {
  const elapsed = performance.now() - t0;
  const due = Math.floor((elapsed / 1000) * rate);
  while (outcomes.length < due) outcomes.push(one(outcomes.length));
  maxQueued = Math.max(maxQueued, router.queued);
  if (elapsed >= nextSample) {
    rss.push(process.memoryUsage().rss);
    nextSample += 1000;
  }
  await new Promise((r) => setTimeout(r, 10));
}
const all = await Promise.all(outcomes);

// Recovery: 1 s windows at capacity until throughput is back to 90% of the baseline.
const recovery: number[] = [];
for (let w = 0; w < 10; w++) {
  const rps = await closedLoop(IN_FLIGHT, 1);
  recovery.push(rps);
  if (rps >= 0.9 * baselineRps) break;
}
await server.close();

const admitted = all.filter((o) => o.status === 200);
const refused = all.filter((o) => o.status === 503);
const other = all.filter((o) => o.status !== 200 && o.status !== 503);
const wrong = all.filter((o) => !o.right);
// The first sample is before the burst warmed anything up.
const steady = rss.length > 2 ? rss.slice(1) : rss;
const rssSpreadMb = (Math.max(...steady) - Math.min(...steady)) / 2 ** 20;
const refusedP50 = pct(
  refused.map((o) => o.ms),
  50,
);
const admittedP50 = pct(
  admitted.map((o) => o.ms),
  50,
);

report({
  name: 'overload',
  what: `One node of capacity ${CAPACITY_RPS} req/s (1 replica x ${IN_FLIGHT} x ${SLEEP_MS} ms, queue ${QUEUE}) offered ${OVERLOAD}x (${rate} req/s) for ${SECONDS} s; baseline: the same node at capacity, same run.`,
  summary: [
    { metric: 'requests offered', value: all.length },
    { metric: 'admitted throughput, req/s', value: Math.round(admitted.length / SECONDS), baseline: Math.round(baselineRps), ratio: admitted.length / SECONDS / baselineRps, target: '>= 0.8 (no collapse)', pass: admitted.length / SECONDS >= 0.8 * baselineRps },
    { metric: 'refused with 503 + Retry-After', value: refused.filter((o) => o.retryAfter).length, baseline: refused.length, target: 'all refusals', pass: refused.every((o) => o.retryAfter) },
    { metric: 'refusal p50 / admitted p50 latency', value: `${refusedP50.toFixed(1)} ms`, baseline: `${admittedP50.toFixed(1)} ms`, ratio: refusedP50 / admittedP50, target: '< 1 (refused at once)', pass: refusedP50 < admittedP50 },
    { metric: 'other statuses or wrong answers', value: other.length + wrong.length, target: '0', pass: other.length + wrong.length === 0 },
    { metric: 'most requests queued', value: maxQueued, baseline: QUEUE, target: `<= ${QUEUE}`, pass: maxQueued <= QUEUE },
    { metric: 'RSS spread during overload, MB', value: Math.round(rssSpreadMb), target: '< 64 (flat)', pass: rssSpreadMb < 64 },
    { metric: 'seconds until throughput >= 90% of baseline', value: recovery.length, baseline: recovery.map((r) => Math.round(r)).join(', '), target: '<= 3', pass: recovery.length <= 3 && recovery[recovery.length - 1] >= 0.9 * baselineRps },
  ],
});
