import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphStatus, NodeStatus } from '../../shared/protocol.js';
import { type BeamlineServer, createServer } from '../../runtime/server/index.js';
import { graph as chain } from './helpers.js';

const NODES = fileURLToPath(new URL('../fixtures/scaling/nodes.ts', import.meta.url));

/** input -> work (slow-echo) -> output, on the shared test graph builder. */
const graph = (name: string, deployment: Record<string, unknown>, ms = 80) => chain(name, [{ id: 'work', kind: 'slow-echo', config: { ms }, deployment }], [['input', 'work'], ['work', 'output']]);

let server: BeamlineServer;

beforeAll(async () => {
  server = await createServer({ port: 0, cpus: 8, memoryMb: 8192, gpus: 1, gpuMemoryMb: 16_000, nodes: [NODES], log: () => {}, dataDir: fileURLToPath(new URL('../../.beamline/test-autoscale', import.meta.url)) });
});

afterAll(async () => {
  await server?.close();
});

async function status(name: string, node = 'work'): Promise<NodeStatus> {
  const s = (await (await fetch(`${server.url}/api/graphs/${name}`)).json()) as GraphStatus;
  return s.nodes[node];
}

const running = (n: NodeStatus) => n.replicas.filter((r) => r.state === 'RUNNING').length;

async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!ok(last)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
    last = await probe();
  }
  return last;
}

/** Closed-loop clients: each sends its next request when the previous one answers. */
function clients(path: string, n: number) {
  const tally = { ok: 0, failed: [] as string[] };
  let stop = false;
  const loops = Array.from({ length: n }, async (_, c) => {
    for (let i = 0; !stop; i++) {
      try {
        const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: { c, i } }) });
        const body = (await res.json()) as { c?: number; i?: number; error?: string };
        if (res.status === 200 && body.c === c && body.i === i) tally.ok++;
        else tally.failed.push(`${res.status} ${JSON.stringify(body)}`);
      } catch (e) {
        tally.failed.push(String(e));
        if (tally.failed.length > 20) return;
      }
    }
  });
  return {
    tally,
    async stop() {
      stop = true;
      await Promise.all(loops);
      return tally;
    },
  };
}

describe('autoscaling through a real server', () => {
  it('scales up to the expected count under a load step and back to minReplicas after the delay, failing no request', async () => {
    const scaling = { minReplicas: 1, maxReplicas: 4, targetOngoingRequests: 2, upscaleDelayMs: 300, downscaleDelayMs: 800, metricsIntervalMs: 50, lookBackPeriodMs: 300 };
    // Calls of 250 ms keep the clients' own HTTP time a small part of each loop, so 8 clients mean ~8 ongoing.
    const r = await server.deploy(graph('step', { autoscaling: scaling, maxOngoingRequests: 2, maxQueuedRequests: 1000, resources: { cpus: 0.5 } }, 250));
    expect(r.ok).toBe(true);
    expect(running(await status('step'))).toBe(1);

    // 8 clients keep 8 requests ongoing: ceil(8 / 2) = 4 replicas.
    const step = clients('/step', 8);
    const up = await until('4 running replicas', () => status('step'), (n) => running(n) === 4 && n.autoscaling?.target === 4);
    expect(up.autoscaling!.lastDecision!.to).toBe(4);
    expect(up.autoscaling!.lastDecision!.reason).toMatch(/^scale up [1-3] -> 4/);
    const high = await step.stop();
    expect(high.failed).toEqual([]);
    expect(high.ok).toBeGreaterThan(0);

    // One client stays on while the extra replicas drain: their requests must still finish.
    const trickle = clients('/step', 1);
    const down = await until('back to minReplicas', () => status('step'), (n) => n.autoscaling?.target === 1 && running(n) === 1 && n.replicas.every((x) => x.state === 'RUNNING'));
    expect(down.autoscaling!.lastDecision!.reason).toMatch(/^scale down 4 -> 1/);
    const low = await trickle.stop();
    expect(low.failed).toEqual([]);
    expect(low.ok).toBeGreaterThan(0);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/beamline_autoscaling_target_replicas\{[^}]*node="work"[^}]*\} 1/);
    expect(metrics).toMatch(/beamline_autoscaling_last_decision_timestamp_seconds\{[^}]*direction="down"[^}]*\}/);
  }, 60_000);

  it('minReplicas 0: the first request waits for a replica to start and is served', async () => {
    const scaling = { minReplicas: 0, maxReplicas: 2, targetOngoingRequests: 1, upscaleDelayMs: 5000, downscaleDelayMs: 400, metricsIntervalMs: 5000, lookBackPeriodMs: 300 };
    const r = await server.deploy(graph('cold', { autoscaling: scaling, resources: { cpus: 0.5 } }, 10));
    expect(r.ok).toBe(true);
    const before = await status('cold');
    expect(before.replicas).toEqual([]);
    expect(before.autoscaling!.target).toBe(0);
    // The upscale delay and the metrics interval are both long: only scale-from-zero can answer this in time.
    const res = await fetch(`${server.url}/cold`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: 'first' }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toBe('first');
    const after = await status('cold');
    expect(after.autoscaling!.lastDecision).toMatchObject({ from: 0, to: 1 });
    expect(after.autoscaling!.lastDecision!.reason).toMatch(/scale from zero/);
  }, 30_000);

  it('a replica that cannot be placed stays PENDING and is reported; the autoscaler does not loop on it', async () => {
    // One declared GPU, a whole GPU per replica: the second and third replicas cannot be placed.
    const scaling = { minReplicas: 1, maxReplicas: 3, targetOngoingRequests: 1, upscaleDelayMs: 100, downscaleDelayMs: 60_000, metricsIntervalMs: 50, lookBackPeriodMs: 200 };
    const r = await server.deploy(graph('gpu', { autoscaling: scaling, maxOngoingRequests: 4, maxQueuedRequests: 1000, resources: { cpus: 0.5, gpus: 1 } }));
    expect(r.ok).toBe(true);
    const load = clients('/gpu', 4);
    // Settled: either the target reached 3 (two PENDING) or it is held below the wish by a PENDING replica.
    const held = await until(
      'PENDING replicas',
      () => status('gpu'),
      (n) => n.replicas.some((x) => x.state === 'PENDING') && (n.autoscaling!.target === 3 || /PENDING/.test(n.autoscaling!.reason ?? '')),
    );
    const pending = held.replicas.filter((x) => x.state === 'PENDING');
    expect(pending.length).toBe(held.autoscaling!.target - 1);
    for (const p of pending) expect(p.reason).toMatch(/GPU/);
    const decidedAt = held.autoscaling!.lastDecision!.at;
    // Keep the load on for many decision periods: no new decisions, no replica churn.
    await new Promise((res) => setTimeout(res, 1500));
    const later = await status('gpu');
    expect(later.autoscaling!.lastDecision!.at).toBe(decidedAt);
    expect(later.replicas.filter((x) => x.state === 'PENDING').map((x) => x.id).sort()).toEqual(pending.map((x) => x.id).sort());
    expect(running(later)).toBe(1);
    const tally = await load.stop();
    expect(tally.failed).toEqual([]);
  }, 60_000);
});
