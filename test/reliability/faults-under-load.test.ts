import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
import { Latch } from '../fixtures/nodes/latch.js';
import { get, graph, post, startServer, TESTKIT, until } from '../runtime/helpers.js';

const KINDS = fileURLToPath(new URL('../fixtures/reliability/kinds.ts', import.meta.url));

let s: BeamlineServer;
beforeAll(async () => {
  s = await startServer({ nodes: [TESTKIT, KINDS], cpus: 16 });
});
afterAll(() => s?.close());

type Replica = { id: string; state: string; restarts: number; reason?: string };
const replicasOf = async (name: string, node: string): Promise<Replica[]> => (await get(`${s.url}/api/graphs/${name}`)).body.nodes[node].replicas;

/** `clients` closed-loop clients, each sending ids of its own until stop(); every answer is checked against its request. */
function load(url: string, clients: number, body: (id: string) => unknown, expected: (id: string) => unknown) {
  let stopped = false;
  const t = { sent: 0, ok: 0, wrong: [] as string[], failed: [] as string[] };
  const sentBy = new Array<number>(clients).fill(0);
  const answeredBy = new Array<number>(clients).fill(0);
  const loop = async (c: number) => {
    for (let i = 0; !stopped; i++) {
      const id = `${c}-${i}`;
      t.sent++;
      sentBy[c]++;
      const r = await post(url, body(id));
      answeredBy[c]++;
      if (r.status !== 200) t.failed.push(`${r.status} ${JSON.stringify(r.body)}`);
      else if (JSON.stringify(r.body) !== JSON.stringify(expected(id))) t.wrong.push(`${id}: ${JSON.stringify(r.body)}`);
      else t.ok++;
    }
  };
  const all = Array.from({ length: clients }, (_, c) => loop(c));
  return {
    tally: t,
    /** Whether every request sent up to now has been answered; call the result to ask later. */
    mark: () => {
      const at = [...sentBy];
      return () => at.every((n, c) => answeredBy[c] >= n);
    },
    stop: async () => {
      stopped = true;
      await Promise.all(all);
      return t;
    },
  };
}

describe('faults under load from 32 clients', () => {
  it('kills replicas mid-call: nothing lost, nothing answered wrongly, replicas replaced, status counts restarts', async () => {
    const g = graph('killme', [{ id: 'n', kind: 'test-echo', deployment: { numReplicas: 4, retries: 1, maxOngoingRequests: 8, maxQueuedRequests: 1000 } }], [
      ['input', 'n'],
      ['n', 'output'],
    ]);
    expect((await post(`${s.url}/api/graphs`, g)).status).toBe(201);
    const pool = s.controller.get('killme')!.pools.get('n')!;
    const traffic = load(`${s.url}/killme`, 32, (id) => ({ x: { id, sleepMs: 5 } }), (id) => ({ id, sleepMs: 5 }));
    const rounds = 6;
    const killed: string[] = [];
    const held: Promise<{ status: number; body: unknown }>[] = [];
    const gates: Latch[] = [];
    let settled = () => true;
    try {
      for (let round = 0; round < rounds; round++) {
        // Every call the last kill hit (and its retry) is answered before the next kill, so no
        // call is lost twice; then a random amount of traffic, counted in answers. One replica
        // is kept serving so the retries have somewhere to go.
        await until(settled, 'the calls of the last kill to be answered');
        if (round > 0) expect((await held[round - 1]).status).toBe(200);
        const next = traffic.tally.ok + 20 + Math.floor(Math.random() * 80);
        await until(() => traffic.tally.ok >= next && pool.running().length >= 2, 'traffic and two running replicas');
        // One call waits inside a replica: that replica dies in the middle of it, with whatever
        // else it is running, and the call must be answered by another one.
        const gate = new Latch(`kill-${round}`);
        gates.push(gate);
        held.push(post(`${s.url}/killme`, { x: { id: `held-${round}`, latch: gate.name } }));
        const [where] = await gate.until(1);
        const victim = pool.running().find((r) => r.id === where);
        expect(victim, `replica ${where} running`).toBeDefined();
        killed.push(victim!.id);
        await victim!.terminateThread();
        settled = traffic.mark();
        // Its retry, on another replica, passes the latch.
        gate.open();
      }
    } finally {
      for (const gate of gates) gate.open();
      await traffic.stop();
    }
    const answers = await Promise.all(held);
    for (const gate of gates) gate.close();
    expect(answers.map((r) => [r.status, (r.body as { id: string }).id])).toEqual(Array.from({ length: rounds }, (_, k) => [200, `held-${k}`]));
    const t = traffic.tally;
    expect(t.failed).toEqual([]);
    expect(t.wrong).toEqual([]);
    expect(t.ok).toBe(t.sent);
    // Replaced: four RUNNING again, none of them a killed one, and status counts the restarts.
    const now = await until(async () => {
      const rs = await replicasOf('killme', 'n');
      return rs.filter((r) => r.state === 'RUNNING').length === 4 ? rs : undefined;
    }, 'four running replicas');
    for (const r of now) expect(killed).not.toContain(r.id);
    expect(now.reduce((n, r) => n + r.restarts, 0)).toBe(rounds);
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

  it('a node leaking memory past memoryMb is replaced before it holds more; requests keep succeeding', async () => {
    const g = graph('leaky', [{ id: 'l', kind: 'test-leak', config: { mbPerCall: 16, report: true }, deployment: { numReplicas: 1, retries: 2, resources: { memoryMb: 64 } } }], [
      ['input', 'l'],
      ['l', 'output'],
    ]);
    expect((await post(`${s.url}/api/graphs`, g)).status).toBe(201);
    // 24 calls would retain 384 MB in one replica: it must die (out of memory) and be replaced several times.
    const held: number[] = [];
    for (let i = 0; i < 24; i++) {
      const r = await post(`${s.url}/leaky`, { x: i });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.value).toBe(i);
      held.push(r.body.heldMb);
    }
    // Each replica answered while it held at most its memoryMb, never the leak's total: the
    // process (replicas are its threads) did not absorb the leak.
    expect(Math.max(...held)).toBeLessThanOrEqual(64);
    const rs = await until(async () => {
      const x = await replicasOf('leaky', 'l');
      return x.some((r) => r.state === 'RUNNING') ? x : undefined;
    }, 'a running replica');
    expect(Math.max(...rs.map((r) => r.restarts))).toBeGreaterThanOrEqual(2);
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

  it('overload: admitted requests complete, the rest get 503 + Retry-After without waiting for capacity, the queue stays bounded, throughput returns', async () => {
    // Capacity: 1 replica x 2 at a time; the queue holds 4. (How fast refusals come back
    // against admitted requests, and the server's memory under an open loop, are measured by
    // `npm run bench -- overload`.)
    const g = graph('over', [{ id: 'o', kind: 'test-echo', deployment: { numReplicas: 1, maxOngoingRequests: 2, maxQueuedRequests: 4 } }], [
      ['input', 'o'],
      ['o', 'output'],
    ]);
    expect((await post(`${s.url}/api/graphs`, g)).status).toBe(201);
    const router = s.controller.get('over')!.routers.get('o')!;
    const gate = new Latch('over');
    try {
      // Two calls hold the replica's two places at the latch; four more wait in the queue.
      const admitted = Array.from({ length: 6 }, (_, i) => post(`${s.url}/over`, { x: { i, latch: gate.name } }));
      await gate.until(2);
      await until(() => router.queued === 4, 'four queued requests');
      // Everything beyond is refused while the admitted ones are still held: a refusal
      // does not wait for capacity, and the queue does not grow.
      const refused: string[] = [];
      const bad: string[] = [];
      const more = Array.from({ length: 100 }, (_, i) =>
        post(`${s.url}/over`, { x: { i: 100 + i } }).then((r) => {
          if (r.status === 503 && r.body.node === 'o' && Number(r.headers.get('retry-after')) >= 1) refused.push(r.body.code);
          else bad.push(`${r.status} ${JSON.stringify(r.body)}`);
        }),
      );
      await until(() => refused.length + bad.length === 100, 'an answer to every request beyond the queue while the admitted ones are held');
      await Promise.all(more);
      expect(bad).toEqual([]);
      expect([s.controller.get('over')!.pools.get('o')!.inFlight(), router.queued]).toEqual([2, 4]);
      expect(gate.arrived).toHaveLength(2);
      gate.open();
      const done = await Promise.all(admitted);
      expect(done.map((r) => [r.status, r.body.i])).toEqual(Array.from({ length: 6 }, (_, i) => [200, i]));
    } finally {
      gate.close();
    }
    // Throughput returns: at capacity, everything is served.
    const after = await Promise.all(Array.from({ length: 6 }, (_, i) => post(`${s.url}/over`, { x: i })));
    expect(after.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
  });
});
