import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
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
});

it('places a PENDING replica once resources free up', async () => {
  const g = graph('waiting', [{ id: 'w', kind: 'test-echo', deployment: quarter(1) }], [['input', 'w'], ['w', 'output']]);
  const d = await post(`${s.url}/api/graphs`, g);
  expect(d.body.status.nodes.w.replicas[0].state).toBe('PENDING');
  // Nothing can serve it yet: a clear 503 naming the node and the reason, not a wait until timeout.
  const early = await post(`${s.url}/waiting`, { x: 1 });
  expect(early.status).toBe(503);
  expect(early.body).toMatchObject({ node: 'w', code: 'node_pending' });
  expect(early.body.error).toMatch(/GPU/);
  expect((await fetch(`${s.url}/api/graphs/gpus`, { method: 'DELETE' })).status).toBe(200);
  await until(async () => (await get(`${s.url}/api/graphs/waiting`)).body.nodes.w.replicas[0]?.state === 'RUNNING', 'the pending replica to start');
  expect((await post(`${s.url}/waiting`, { x: 2 })).body).toBe(2);
  // Every replica of the deleted graph gave its share back; only the waiting one holds the GPU.
  const gpu = (await get(`${s.url}/api/cluster`)).body.gpus[0];
  expect(gpu.replicas.map((r: { replica: string }) => r.replica)).toEqual([expect.stringMatching(/^waiting\//)]);
  expect(gpu.used).toBe(0.25);
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
    try {
      await new Promise((r) => setTimeout(r, 150));
      const re = await post(`${t.url}/api/graphs`, v('v2'));
      expect(re.status).toBe(200);
      await until(async () => (await get(`${t.url}/api/graphs/full`)).body.state === 'RUNNING', 'the new version to run');
      await new Promise((r) => setTimeout(r, 150));
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
