import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
import { get, graph, post, startServer, TESTKIT, until } from '../runtime/helpers.js';

const KINDS = fileURLToPath(new URL('../fixtures/reliability/kinds.ts', import.meta.url));

let s: BeamlineServer;
beforeAll(async () => {
  s = await startServer({ nodes: [TESTKIT, KINDS], cpus: 16 });
});
afterAll(() => s?.close());

type Replica = { id: string; state: string; restarts: number; reason?: string };
const replicasOf = async (name: string, node: string): Promise<Replica[]> => (await get(`${s.url}/api/graphs/${name}`)).body.nodes[node].replicas;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `clients` closed-loop clients, each sending ids of its own until stop(); every answer is checked against its request. */
function load(url: string, clients: number, body: (id: string) => unknown, expected: (id: string) => unknown) {
  let stopped = false;
  const t = { sent: 0, ok: 0, wrong: [] as string[], failed: [] as string[] };
  const loop = async (c: number) => {
    for (let i = 0; !stopped; i++) {
      const id = `${c}-${i}`;
      t.sent++;
      const r = await post(url, body(id));
      if (r.status !== 200) t.failed.push(`${r.status} ${JSON.stringify(r.body)}`);
      else if (JSON.stringify(r.body) !== JSON.stringify(expected(id))) t.wrong.push(`${id}: ${JSON.stringify(r.body)}`);
      else t.ok++;
    }
  };
  const all = Array.from({ length: clients }, (_, c) => loop(c));
  return {
    tally: t,
    stop: async () => {
      stopped = true;
      await Promise.all(all);
      return t;
    },
  };
}

describe('faults under load from 32 clients', () => {
  it('kills replicas at random moments: nothing lost, nothing answered wrongly, replicas replaced, status counts restarts', async () => {
    const g = graph('killme', [{ id: 'n', kind: 'test-echo', deployment: { numReplicas: 4, retries: 1, maxOngoingRequests: 8, maxQueuedRequests: 1000 } }], [
      ['input', 'n'],
      ['n', 'output'],
    ]);
    expect((await post(`${s.url}/api/graphs`, g)).status).toBe(201);
    const pool = s.controller.get('killme')!.pools.get('n')!;
    const traffic = load(`${s.url}/killme`, 32, (id) => ({ x: { id, sleepMs: 5 } }), (id) => ({ id, sleepMs: 5 }));
    let kills = 0;
    const killed: string[] = [];
    for (let round = 0; round < 8; round++) {
      await sleep(150 + Math.random() * 250);
      const running = pool.running();
      // Keep one serving so the retry has somewhere to go; the others die mid-call.
      if (running.length < 2) continue;
      const busy = running.filter((r) => r.inFlight > 0);
      const victim = (busy.length ? busy : running)[Math.floor(Math.random() * (busy.length || running.length))];
      killed.push(victim.id);
      await victim.terminateThread();
      kills++;
    }
    const t = await traffic.stop();
    expect(kills).toBeGreaterThanOrEqual(4);
    expect(t.failed).toEqual([]);
    expect(t.wrong).toEqual([]);
    expect(t.ok).toBe(t.sent);
    // Replaced: four RUNNING again, none of them a killed one, and status counts the restarts.
    const now = await until(async () => {
      const rs = await replicasOf('killme', 'n');
      return rs.filter((r) => r.state === 'RUNNING').length === 4 ? rs : undefined;
    }, 'four running replicas');
    for (const r of now) expect(killed).not.toContain(r.id);
    expect(now.reduce((n, r) => n + r.restarts, 0)).toBe(kills);
  });

  it('a hanging call gets 504 naming the node, its replica is replaced, everyone else keeps being served', async () => {
    const g = graph('hangs', [{ id: 'h', kind: 'test-echo', deployment: { numReplicas: 3, maxOngoingRequests: 1, timeoutMs: 1500, retries: 1, maxQueuedRequests: 1000 } }], [
      ['input', 'h'],
      ['h', 'output'],
    ]);
    expect((await post(`${s.url}/api/graphs`, g)).status).toBe(201);
    const before = (await replicasOf('hangs', 'h')).map((r) => r.id);
    const traffic = load(`${s.url}/hangs`, 32, (id) => ({ x: { id } }), (id) => ({ id }));
    await until(() => traffic.tally.ok > 50, 'traffic');
    const hung = await post(`${s.url}/hangs`, { x: { hang: true } });
    await until(() => traffic.tally.ok > 100 + 50, 'traffic after the hang');
    const t = await traffic.stop();
    expect(hung.status).toBe(504);
    expect(hung.body.node).toBe('h');
    expect(hung.body.error).toMatch(/node h timed out after 1500 ms/);
    expect(t.failed).toEqual([]);
    expect(t.wrong).toEqual([]);
    const now = await until(async () => {
      const rs = await replicasOf('hangs', 'h');
      return rs.filter((r) => r.state === 'RUNNING').length === 3 ? rs : undefined;
    }, 'three running replicas');
    // One replica was replaced by a new one (restarts 1); the two others are the originals.
    expect(now.filter((r) => before.includes(r.id))).toHaveLength(2);
    expect(now.filter((r) => r.restarts === 1)).toHaveLength(1);
  });

  it('a node leaking memory past memoryMb is replaced before the process is in danger; requests keep succeeding', async () => {
    const g = graph('leaky', [{ id: 'l', kind: 'test-leak', config: { mbPerCall: 16 }, deployment: { numReplicas: 1, retries: 2, resources: { memoryMb: 64 } } }], [
      ['input', 'l'],
      ['l', 'output'],
    ]);
    expect((await post(`${s.url}/api/graphs`, g)).status).toBe(201);
    const rssBefore = process.memoryUsage().rss;
    // 24 calls retain 384 MB in total: the replica must die (out of memory) and be replaced several times.
    for (let i = 0; i < 24; i++) {
      const r = await post(`${s.url}/leaky`, { x: i });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toBe(i);
    }
    const rs = await until(async () => {
      const x = await replicasOf('leaky', 'l');
      return x.some((r) => r.state === 'RUNNING') ? x : undefined;
    }, 'a running replica');
    expect(Math.max(...rs.map((r) => r.restarts))).toBeGreaterThanOrEqual(2);
    // The server process did not absorb the leak: far less than the 384 MB the node tried to keep.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(192 * 2 ** 20);
    expect((await get(`${s.url}/healthz`)).status).toBe(200);
  });

  it('a model that fails to load: node UNHEALTHY with the error, the other nodes up, requests 503 naming the node', async () => {
    const g = graph(
      'halfbroken',
      [
        { id: 'fine', kind: 'test-echo' },
        { id: 'bad', kind: 'test-broken' },
      ],
      [
        ['input', 'fine'],
        ['fine', 'bad'],
        ['bad', 'output'],
      ],
    );
    const dep = await post(`${s.url}/api/graphs`, g);
    expect(dep.status).toBe(201);
    const st = await until(async () => {
      const b = (await get(`${s.url}/api/graphs/halfbroken`)).body;
      return b.nodes.bad.error && b;
    }, 'the load error in status');
    expect(st.state).toBe('UNHEALTHY');
    expect(st.nodes.bad.error).toMatch(/weights.onnx not found/);
    expect(st.nodes.fine.replicas.filter((r: Replica) => r.state === 'RUNNING')).toHaveLength(1);
    const r = await post(`${s.url}/halfbroken`, { x: 1 });
    expect(r.status).toBe(503);
    expect(r.body.node).toBe('bad');
    expect(r.body.error).toMatch(/node bad is unavailable: .*weights.onnx not found/);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('overload at 10x capacity: admitted requests complete, the rest get 503 + Retry-After sooner, memory flat, throughput returns', async () => {
    // Capacity: 1 replica x 2 at a time x 50 ms = 40 requests/s; the queue holds 4.
    const g = graph('over', [{ id: 'o', kind: 'test-echo', config: { sleepMs: 50 }, deployment: { numReplicas: 1, maxOngoingRequests: 2, maxQueuedRequests: 4 } }], [
      ['input', 'o'],
      ['o', 'output'],
    ]);
    expect((await post(`${s.url}/api/graphs`, g)).status).toBe(201);
    const router = s.controller.get('over')!.routers.get('o')!;
    const ok: number[] = [];
    const refused: number[] = [];
    const bad: string[] = [];
    let maxQueued = 0;
    const rssSamples: number[] = [];
    const pending: Promise<void>[] = [];
    // Open loop: 400 requests/s for 3 s.
    for (let i = 0; i < 1200; i++) {
      const t0 = performance.now();
      pending.push(
        post(`${s.url}/over`, { x: i }).then((r) => {
          const ms = performance.now() - t0;
          if (r.status === 200 && r.body === i) ok.push(ms);
          else if (r.status === 503 && r.body.node === 'o' && Number(r.headers.get('retry-after')) >= 1) refused.push(ms);
          else bad.push(`${r.status} ${JSON.stringify(r.body)}`);
        }),
      );
      maxQueued = Math.max(maxQueued, router.queued);
      if (i % 100 === 0) rssSamples.push(process.memoryUsage().rss);
      if (i % 10 === 9) await sleep(25);
    }
    await Promise.all(pending);
    expect(bad).toEqual([]);
    expect(ok.length + refused.length).toBe(1200);
    expect(refused.length).toBeGreaterThan(ok.length);
    expect(ok.length).toBeGreaterThan(20);
    expect(maxQueued).toBeLessThanOrEqual(4);
    // Refusals do not wait in the queue: they come back faster than admitted requests.
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    expect(median(refused)).toBeLessThan(median(ok));
    // Bounded queue: resident memory after the burst is about where it was a second in.
    expect(Math.max(...rssSamples.slice(3)) - rssSamples[2]).toBeLessThan(100 * 2 ** 20);
    // Throughput returns: at capacity, everything is served.
    const after = await Promise.all(Array.from({ length: 6 }, (_, i) => post(`${s.url}/over`, { x: i })));
    expect(after.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
  });
});
