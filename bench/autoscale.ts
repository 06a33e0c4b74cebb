// Autoscaling under a load step: 1 closed-loop client, then 32, then 1 again.
// Figures: time from the step until RUNNING replicas reach the desired count,
// time back down to minReplicas, requests failed (target 0), and the replica
// count over time as a small ASCII plot.
import { fileURLToPath } from 'node:url';
import type { GraphStatus, NodeStatus } from '../shared/protocol.js';
import { createServer } from '../runtime/server/index.js';
import { report } from './lib/report.js';

const WORK_MS = 100;
const SCALING = { minReplicas: 1, maxReplicas: 8, targetOngoingRequests: 3, upscaleDelayMs: 1000, downscaleDelayMs: 3000, metricsIntervalMs: 100, lookBackPeriodMs: 1000 };
const PHASES = [
  { clients: 1, seconds: 3 },
  { clients: 32, seconds: 12 },
  { clients: 1, seconds: 10 },
];
const EXPECTED_HIGH = Math.min(SCALING.maxReplicas, Math.ceil(32 / SCALING.targetOngoingRequests));

const server = await createServer({ port: 0, cpus: 16, nodes: [fileURLToPath(new URL('./lib/sleep-node.ts', import.meta.url))], log: () => {} });
const deployed = await server.deploy({
  version: 1,
  name: 'scale',
  routePrefix: '/scale',
  nodes: [
    { id: 'input', kind: 'input', config: { fields: { x: 'json' } } },
    { id: 'model', kind: 'bench-sleep', config: { ms: WORK_MS }, deployment: { autoscaling: SCALING, maxOngoingRequests: 4, maxQueuedRequests: 10_000, resources: { cpus: 0.25 } } },
    { id: 'output', kind: 'output' },
  ],
  edges: [
    { source: 'input', sourceHandle: 'x', target: 'model', targetHandle: 'in' },
    { source: 'model', sourceHandle: 'out', target: 'output', targetHandle: 'in' },
  ],
});
if (!deployed.ok) throw new Error(deployed.error);

let wanted = 0;
let ok = 0;
const failures: string[] = [];
const loops: Promise<void>[] = [];
let active = 0;
function client(id: number): Promise<void> {
  active++;
  return (async () => {
    for (let i = 0; id < wanted; i++) {
      try {
        const res = await fetch(`${server.url}/scale`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: { id, i } }) });
        const body = (await res.json()) as { id?: number; i?: number };
        if (res.status === 200 && body.id === id && body.i === i) ok++;
        else failures.push(`${res.status} ${JSON.stringify(body).slice(0, 200)}`);
      } catch (e) {
        failures.push(String(e));
      }
    }
    active--;
  })();
}
function setClients(n: number) {
  const before = wanted;
  wanted = n;
  for (let id = before; id < n; id++) loops.push(client(id));
}

async function node(): Promise<NodeStatus> {
  return ((await (await fetch(`${server.url}/api/graphs/scale`)).json()) as GraphStatus).nodes.model;
}

interface Sample {
  t: number;
  clients: number;
  running: number;
  target: number;
  desired: number;
  ongoing: number | null;
}
const samples: Sample[] = [];
const t0 = Date.now();
const sampler = setInterval(async () => {
  const n = await node();
  samples.push({
    t: (Date.now() - t0) / 1000,
    clients: wanted,
    running: n.replicas.filter((r) => r.state === 'RUNNING').length,
    target: n.autoscaling?.target ?? 0,
    desired: n.autoscaling?.desired ?? 0,
    ongoing: n.autoscaling?.averageOngoing ?? null,
  });
}, 250);

const phaseStart: number[] = [];
for (const p of PHASES) {
  phaseStart.push((Date.now() - t0) / 1000);
  setClients(p.clients);
  await new Promise((r) => setTimeout(r, p.seconds * 1000));
}
wanted = 0;
await Promise.all(loops);
clearInterval(sampler);
const last = await node();
await server.close();

const stepUp = phaseStart[1];
const stepDown = phaseStart[2];
const reachedHigh = samples.find((s) => s.t >= stepUp && s.running >= EXPECTED_HIGH);
const backLow = samples.find((s) => s.t >= stepDown && s.running === SCALING.minReplicas && s.target === SCALING.minReplicas);
const upSeconds = reachedHigh ? reachedHigh.t - stepUp : null;
const decided = samples.find((s) => s.t >= stepUp && s.target >= EXPECTED_HIGH);
const decideSeconds = decided ? decided.t - stepUp : null;
const downSeconds = backLow ? backLow.t - stepDown : null;

// One row per second: replicas RUNNING as a bar, with the target and the clients.
const rows: string[] = ['   t  clients  target  running'];
for (let s = 0; s <= Math.floor(samples.at(-1)?.t ?? 0); s++) {
  const x = samples.find((v) => v.t >= s);
  if (!x) continue;
  rows.push(`${String(s).padStart(4)}  ${String(x.clients).padStart(7)}  ${String(x.target).padStart(6)}  ${'#'.repeat(x.running).padEnd(SCALING.maxReplicas)} ${x.running}`);
}

report({
  name: 'autoscale',
  what: `A node whose calls take ${WORK_MS} ms off the CPU (bench-sleep), maxOngoingRequests 4, autoscaling ${JSON.stringify(SCALING)}. Closed-loop clients: ${PHASES.map((p) => `${p.clients} for ${p.seconds} s`).join(', then ')}. Desired at 32 clients: min(maxReplicas ${SCALING.maxReplicas}, ceil(32 / ${SCALING.targetOngoingRequests}) = ${Math.ceil(32 / SCALING.targetOngoingRequests)}) = ${EXPECTED_HIGH}. Times include upscaleDelayMs / downscaleDelayMs (the delays are the floor: ${SCALING.upscaleDelayMs} ms up, ${SCALING.downscaleDelayMs} ms down) and replica start-up.`,
  summary: [
    { metric: `seconds from the step up until the target is ${EXPECTED_HIGH} (decision)`, value: decideSeconds === null ? 'never' : Math.round(decideSeconds * 10) / 10, baseline: SCALING.upscaleDelayMs / 1000, ...(decideSeconds !== null ? { ratio: decideSeconds / (SCALING.upscaleDelayMs / 1000) } : {}) },
    { metric: `seconds from the step up until ${EXPECTED_HIGH} replicas RUNNING`, value: upSeconds === null ? 'never' : Math.round(upSeconds * 10) / 10, baseline: SCALING.upscaleDelayMs / 1000, ...(upSeconds !== null ? { ratio: upSeconds / (SCALING.upscaleDelayMs / 1000) } : {}), target: 'reached', pass: upSeconds !== null },
    { metric: `seconds from the step down until back at minReplicas`, value: downSeconds === null ? 'never' : Math.round(downSeconds * 10) / 10, baseline: SCALING.downscaleDelayMs / 1000, ...(downSeconds !== null ? { ratio: downSeconds / (SCALING.downscaleDelayMs / 1000) } : {}), target: 'reached', pass: downSeconds !== null },
    { metric: 'requests answered', value: ok },
    { metric: 'requests failed', value: failures.length, target: '0', pass: failures.length === 0 },
    { metric: 'last decision', value: last.autoscaling?.lastDecision?.reason ?? 'none' },
  ],
  figure: rows.join('\n'),
  notes:
    'The decision comes about upscaleDelayMs after the step (wall-clock, whatever the control loop costs: ray-project/ray#62004); the rest of the way up is replica start-up (a worker thread that loads tsx and its node), several seconds when seven start at once on two shared cores. Scale-down drains the extra replicas: the one remaining client never sees a failure. targetOngoingRequests is 3 so that 32 clients ask for more than maxReplicas: at exactly 32 / 4 the requests in HTTP transit (not yet ongoing at the node) make the desired count dip to 7 now and then, and a dip that lasts the downscale delay would rightly scale down.',
  details: { scaling: SCALING, phases: PHASES, samples, failures: failures.slice(0, 20), active },
});
