import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
import { compile } from '../../shared/compile.js';
import { demandsFromPlan, place } from '../../shared/placement.js';
import type { GraphStatus, ReplicaStatus } from '../../shared/protocol.js';
import { get, graph, post, startServer, until } from './helpers.js';

let s: BeamlineServer;
beforeAll(async () => {
  s = await startServer({ gpus: 1, gpuMemoryMb: 16_000 });
});
afterAll(() => s?.close());

const quarter = (n: number) => ({ numReplicas: n, resources: { cpus: 0.1, gpus: 0.25 } });

it('packs four 0.25-GPU replicas on declared GPU 0 and keeps a fifth PENDING with the reason', async () => {
  const g = graph('gpus', [{ id: 'm', kind: 'test-echo', deployment: quarter(5) }], [['input', 'm'], ['m', 'output']]);
  const d = await post(`${s.url}/api/graphs`, g);
  expect(d.status).toBe(201);
  const replicas: ReplicaStatus[] = (d.body.status as GraphStatus).nodes.m.replicas;
  const running = replicas.filter((r) => r.state === 'RUNNING');
  const pending = replicas.filter((r) => r.state === 'PENDING');
  expect(running).toHaveLength(4);
  for (const r of running) {
    expect(r.placement).toMatchObject({ machine: 'local', virtualGpus: true, gpus: [{ index: 0, share: 0.25, memoryMb: 4000 }] });
  }
  expect(pending).toHaveLength(1);
  expect(pending[0].reason).toMatch(/GPU/);
  expect(d.body.status.state).toBe('DEGRADED');
  // The cluster shows the declared GPU as virtual and full.
  const cluster = (await get(`${s.url}/api/cluster`)).body;
  expect(cluster.gpuSource).toBe('declared');
  expect(cluster.gpus[0]).toMatchObject({ index: 0, virtual: true, used: 1 });
  // It still serves on the four that run.
  expect((await post(`${s.url}/gpus`, { x: 'ok' })).body).toBe('ok');
  expect((await fetch(`${s.url}/api/graphs/gpus`, { method: 'DELETE' })).status).toBe(200);
});

it('places a PENDING replica once resources free up', async () => {
  // Four quarters fill the GPU.
  expect((await post(`${s.url}/api/graphs`, graph('filler', [{ id: 'f', kind: 'test-echo', deployment: quarter(4) }], [['input', 'f'], ['f', 'output']]))).status).toBe(201);
  const g = graph('waiting', [{ id: 'w', kind: 'test-echo', deployment: quarter(1) }], [['input', 'w'], ['w', 'output']]);
  const d = await post(`${s.url}/api/graphs`, g);
  expect(d.body.status.nodes.w.replicas[0].state).toBe('PENDING');
  // Nothing can serve it yet: a clear 503 naming the node and the reason, not a wait until timeout.
  const early = await post(`${s.url}/waiting`, { x: 1 });
  expect(early.status).toBe(503);
  expect(early.body).toMatchObject({ node: 'w', code: 'node_pending' });
  expect(early.body.error).toMatch(/GPU/);
  expect((await fetch(`${s.url}/api/graphs/filler`, { method: 'DELETE' })).status).toBe(200);
  await until(async () => (await get(`${s.url}/api/graphs/waiting`)).body.nodes.w.replicas[0]?.state === 'RUNNING', 'the pending replica to start');
  expect((await post(`${s.url}/waiting`, { x: 2 })).body).toBe(2);
  // Every replica of the deleted graph gave its share back; only the waiting one holds the GPU.
  const gpu = (await get(`${s.url}/api/cluster`)).body.gpus[0];
  expect(gpu.replicas.map((r: { replica: string }) => r.replica)).toEqual([expect.stringMatching(/^waiting\//)]);
  expect(gpu.used).toBe(0.25);
  expect((await fetch(`${s.url}/api/graphs/waiting`, { method: 'DELETE' })).status).toBe(200);
});

it('redeploys a graph that fills the GPU without failing requests: the new version waits for the old one to drain', async () => {
  const t = await startServer({ gpus: 1, gpuMemoryMb: 16_000 });
  try {
    const v = (tag: string) => graph('full', [{ id: 'm', kind: 'test-echo', config: { tag, sleepMs: 20 }, deployment: quarter(4) }], [['input', 'm'], ['m', 'output']]);
    expect((await post(`${t.url}/api/graphs`, v('v1'))).status).toBe(201);
    let stop = false;
    const answers: { status: number; tag?: string }[] = [];
    const clients = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const r = await post(`${t.url}/full`, { x: 1 });
        answers.push({ status: r.status, tag: r.body?.tag });
      }
    });
    const served = (tag: string) => answers.filter((a) => a.tag === tag).length;
    try {
      await until(() => served('v1') >= 10, 'answers from v1');
      const re = await post(`${t.url}/api/graphs`, v('v2'));
      expect(re.status).toBe(200);
      await until(async () => (await get(`${t.url}/api/graphs/full`)).body.state === 'RUNNING', 'the new version to run');
      const before = served('v2');
      await until(() => served('v2') >= before + 10, 'answers from v2');
    } finally {
      stop = true;
      await Promise.all(clients);
    }
    // Nothing over-committed: the GPU holds exactly the new version's four quarters.
    const gpu = (await get(`${t.url}/api/cluster`)).body.gpus[0];
    expect(gpu.used).toBe(1);
    expect(gpu.replicas).toHaveLength(4);
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(new Set(answers.map((a) => a.tag))).toEqual(new Set(['v1', 'v2']));
  } finally {
    await t.close();
  }
});

/** What `beamline plan` says for this graph on this server's cluster: every initial replica placed at once. */
function planned(t: BeamlineServer, g: unknown) {
  const r = compile(g, t.catalog);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return place(demandsFromPlan(r.plan), t.ledger.cluster);
}

it('on a cluster short of CPUs, serve leaves PENDING exactly the replicas `plan` leaves unplaced, with its reasons', async () => {
  const t = await startServer({ cpus: 2 });
  try {
    const cpus = (n: number) => ({ resources: { cpus: n } });
    // In node order one at a time, a and b fit, c does not, d takes the last half CPU;
    // the planner goes largest first: b and c fit, a and d do not.
    const g = graph(
      'short',
      [
        { id: 'a', kind: 'test-echo', deployment: cpus(0.5) },
        { id: 'b', kind: 'test-echo', deployment: cpus(1) },
        { id: 'c', kind: 'test-echo', deployment: cpus(1) },
        { id: 'd', kind: 'test-echo', deployment: cpus(0.5) },
      ],
      [['input', 'a'], ['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'output']],
    );
    const plan = planned(t, g);
    expect(plan.unplaced.map((u) => u.node)).toEqual(['a', 'd']);
    expect((await post(`${t.url}/api/graphs`, g)).status).toBe(201);
    const status: GraphStatus = (await get(`${t.url}/api/graphs/short`)).body;
    const replicas = Object.values(status.nodes).flatMap((n) => n.replicas);
    const pending = replicas.filter((r) => r.state === 'PENDING');
    expect(pending.map((r) => ({ node: r.node, reason: r.reason }))).toEqual(plan.unplaced.map((u) => ({ node: u.node, reason: u.reason })));
    expect(replicas.filter((r) => r.state === 'RUNNING').map((r) => r.node)).toEqual(plan.assignments.map((a) => a.node));
  } finally {
    await t.close();
  }
});

it('packs fractional GPU shares of one deploy onto as few GPUs as the planner would', async () => {
  const t = await startServer({ gpus: 3, gpuMemoryMb: 16_000 });
  try {
    const share = (gpus: number) => ({ numReplicas: 2, resources: { cpus: 0.1, gpus } });
    // One at a time in node order, both quarters share GPU 0 and each 0.75 takes a GPU of its own (3);
    // largest first, each 0.75 gets a quarter beside it (2).
    const g = graph(
      'shares',
      [
        { id: 'small', kind: 'test-echo', deployment: share(0.25) },
        { id: 'large', kind: 'test-echo', deployment: share(0.75) },
      ],
      [['input', 'small'], ['small', 'large'], ['large', 'output']],
    );
    const plan = planned(t, g);
    expect(plan.unplaced).toEqual([]);
    expect(plan.gpusUsed).toBe(2);
    const d = await post(`${t.url}/api/graphs`, g);
    expect(d.status).toBe(201);
    const replicas = Object.values((d.body.status as GraphStatus).nodes).flatMap((n) => n.replicas);
    expect(replicas.map((r) => r.state)).toEqual(['RUNNING', 'RUNNING', 'RUNNING', 'RUNNING']);
    // The same GPUs hold the same shares as in the plan.
    const byGpu = (gpus: { used: number; replicas: { share: number }[] }[]) =>
      gpus
        .filter((x) => x.used > 0)
        .map((x) => x.replicas.map((r) => r.share).sort())
        .sort();
    const cluster = (await get(`${t.url}/api/cluster`)).body;
    expect(byGpu(cluster.gpus)).toEqual(byGpu(plan.gpus));
    expect(byGpu(cluster.gpus)).toEqual([
      [0.25, 0.75],
      [0.25, 0.75],
    ]);
  } finally {
    await t.close();
  }
});
