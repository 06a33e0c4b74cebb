// Releases (issue 17 §2, §3). Canary: a new version with an injected regression (one that
// fails every 5th call, one 10× slower) is released at 10 % and judged every 50 canary
// requests under steady load; the figures are the time from the regression's first
// request (the release start) to the automatic rollback, and the client requests that
// failed (goal 0: failed canary requests are replayed on stable). Shadow: stable p50/p99
// with 100 % of requests mirrored to an identical candidate against the same graph with
// no release, alternating rounds on one server (goal ≤ 1.1×).
import { fileURLToPath } from 'node:url';
import type { ReleaseStatus } from '../shared/release.js';
import { createServer } from '../runtime/server/index.js';
import { markdownTable, percentile, report, type SummaryRow } from './lib/report.js';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const PER_ROUND = Number(process.env.BENCH_REQUESTS ?? 300);
const server = await createServer({ port: 0, cpus: 16, nodes: [fileURLToPath(new URL('./lib/version-node.ts', import.meta.url))], log: () => {} });

const versionGraph = (name: string, config: Record<string, unknown>) => ({
  version: 1,
  name,
  routePrefix: `/${name}`,
  nodes: [
    { id: 'input', kind: 'input', config: { fields: { x: 'json' } } },
    { id: 'm', kind: 'bench-version', config, deployment: { numReplicas: 2, maxOngoingRequests: 8, resources: { cpus: 0.25 } } },
    { id: 'output', kind: 'output' },
  ],
  edges: [
    { source: 'input', sourceHandle: 'x', target: 'm', targetHandle: 'in' },
    { source: 'm', sourceHandle: 'out', target: 'output', targetHandle: 'in' },
  ],
});

async function deploy(graph: unknown, query = ''): Promise<{ release?: ReleaseStatus }> {
  const res = await fetch(`${server.url}/api/graphs${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(graph) });
  const body = (await res.json()) as { release?: ReleaseStatus; error?: string };
  if (!res.ok) throw new Error(`deploy: ${res.status} ${body.error}`);
  return body;
}

async function call(name: string, i: number): Promise<{ status: number; ms: number }> {
  const t = performance.now();
  const res = await fetch(`${server.url}/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: { i } }) });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - t };
}

/** CONNECTIONS closed-loop clients until `stop()` says so (or `n` requests when given). */
async function load(name: string, stop: () => boolean, n = Number.POSITIVE_INFINITY): Promise<{ statuses: number[]; ms: number[] }> {
  const statuses: number[] = [];
  const ms: number[] = [];
  let sent = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (!stop() && sent < n) {
        const r = await call(name, sent++);
        statuses.push(r.status);
        ms.push(r.ms);
      }
    }),
  );
  return { statuses, ms };
}

// --- canary regressions --------------------------------------------------------------------
const POLICY = '?canary=10&steps=10,50,100&windowRequests=50&windowMs=30000';
const regressions = [
  { name: 'errors', what: 'fails every 5th call (20 %)', config: { ms: 5, failEvery: 5, label: 'v2' } },
  { name: 'slower', what: '50 ms a call against 5 ms (10×)', config: { ms: 50, label: 'v2' } },
];
const canaryRows: (string | number)[][] = [];
const canaryDetails: Record<string, unknown> = {};
const summary: SummaryRow[] = [];
for (const reg of regressions) {
  const name = `canary-${reg.name}`;
  await deploy(versionGraph(name, { ms: 5, label: 'v1' }));
  await load(name, () => false, 100);
  const started = await deploy(versionGraph(name, reg.config), POLICY);
  const rel = () => server.controller.release(name)!;
  const t0 = started.release!.startedAt;
  const run = await load(name, () => rel().state !== 'running');
  const s = rel().status();
  const last = s.decisions.at(-1)!;
  const toRollback = last.at - t0;
  const failed = run.statuses.filter((x) => x !== 200).length;
  canaryRows.push([reg.what, s.state, toRollback, run.statuses.length, last.candidate?.requests ?? 0, s.replayed ?? 0, failed, last.reason]);
  canaryDetails[reg.name] = { release: s, clientRequests: run.statuses.length, failed };
  summary.push({ metric: `canary ${reg.name}: time to rollback (ms)`, value: toRollback, target: s.state === 'rolled-back' ? 'rolled back' : 'rolled back (was not)', pass: s.state === 'rolled-back' });
  summary.push({ metric: `canary ${reg.name}: failed client requests`, value: failed, target: '0', pass: failed === 0 });
}

// --- shadow overhead ------------------------------------------------------------------------
await deploy(versionGraph('plain', { ms: 2, label: 'v1' }));
await deploy(versionGraph('shadowed', { ms: 2, label: 'v1' }));
await deploy(versionGraph('shadowed', { ms: 2, label: 'v1' }), '?shadow=100');
for (const g of ['plain', 'shadowed']) await load(g, () => false, 200);
const lat: Record<string, number[]> = { plain: [], shadowed: [] };
const failedShadow: Record<string, number> = { plain: 0, shadowed: 0 };
for (let r = 0; r < ROUNDS; r++) {
  for (const g of r % 2 === 0 ? ['plain', 'shadowed'] : ['shadowed', 'plain']) {
    const run = await load(g, () => false, PER_ROUND);
    lat[g].push(...run.ms);
    failedShadow[g] += run.statuses.filter((x) => x !== 200).length;
  }
}
const shadow = server.controller.release('shadowed')!.status().shadowFigures!;
for (const g of ['plain', 'shadowed']) lat[g].sort((a, b) => a - b);
const p = (g: string, q: number) => Math.round(percentile(lat[g], q) * 100) / 100;
const p50Ratio = Math.round((p('shadowed', 0.5) / p('plain', 0.5)) * 100) / 100;
const p99Ratio = Math.round((p('shadowed', 0.99) / p('plain', 0.99)) * 100) / 100;
summary.push({ metric: 'shadow 100 %: stable p50 (ms)', value: p('shadowed', 0.5), baseline: p('plain', 0.5), ratio: p50Ratio, target: '≤ 1.1×', pass: p50Ratio <= 1.1 });
summary.push({ metric: 'shadow 100 %: stable p99 (ms)', value: p('shadowed', 0.99), baseline: p('plain', 0.99), ratio: p99Ratio, target: '≤ 1.1×', pass: p99Ratio <= 1.1 });
summary.push({ metric: 'shadow 100 %: failed client requests', value: failedShadow.shadowed, target: '0', pass: failedShadow.shadowed === 0 });
await server.close();

report({
  name: 'release',
  what: `Canary: a regressed version released at 10 % (steps 10, 50, 100; judged every 50 canary requests) under ${CONNECTIONS} closed-loop clients, time from the release start to the automatic rollback and client requests that failed. Shadow: stable latency with 100 % mirrored to an identical candidate vs the same graph without a release, ${ROUNDS} alternating rounds of ${PER_ROUND} requests at ${CONNECTIONS} connections; the node holds each call 2 ms off the CPU.`,
  summary,
  figure: markdownTable(
    ['regression', 'outcome', 'ms to rollback', 'client requests', 'canary requests judged', 'replayed on stable', 'failed', 'reason'],
    canaryRows.map((r) => r.map(String)),
  ),
  notes: `Shadow: mirrored ${shadow.mirrored}, skipped ${shadow.skipped} (candidate busy), agreed ${shadow.agreed}, differed ${shadow.differed}; candidate p50 ${shadow.candidate.p50Ms} ms, p99 ${shadow.candidate.p99Ms} ms. The time to rollback is mostly the time the canary takes to collect its window at 10 % of the load (50 canary requests = about 500 client requests).`,
  details: { canary: canaryDetails, shadow: { figures: { ...shadow, recentDiffs: [] }, plain: { p50: p('plain', 0.5), p99: p('plain', 0.99) }, shadowed: { p50: p('shadowed', 0.5), p99: p('shadowed', 0.99) } } },
});
