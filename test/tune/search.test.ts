import { describe, expect, it } from 'vitest';
import { applySettings, autoscaleBounds, tune } from '../../runtime/tune/index.js';
import { compile } from '../../shared/compile.js';
import { catalog, nodeProfile, planOf, profileOf } from './synthetic.js';

const chainOf = (kind: 'test-echo' | 'test-service', deployment: Record<string, unknown> = {}) => planOf([{ id: 'n', kind, deployment }], [['input', 'n'], ['n', 'output']]);

describe('tuning search', () => {
  it('batching wins: a fixed cost per call is shared by a batch, so one replica batching beats replicas', () => {
    const plan = chainOf('test-service', { resources: { cpus: 1 } });
    const profile = profileOf(plan, { n: nodeProfile('test-service', { fixedMs: 10, perItemMs: 1, batches: [1, 2, 4, 8, 16] }) });
    // Without batching one replica takes 1000/11 ≈ 91 req/s; 400 req/s would need 5 replicas (5 CPUs).
    const r = tune(plan, profile, { qps: 400, p99Ms: 100 }, { cpus: 2, gpus: 0 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.settings.n.maxBatchSize).toBeGreaterThanOrEqual(8);
    expect(r.settings.n.numReplicas).toBe(1);
    expect(r.prediction.p99Ms).toBeLessThanOrEqual(100);
    expect(r.totals).toMatchObject({ gpus: 0, cpus: 1, replicas: 1 });
  });

  it('replicas win: with a cost per item batching saves nothing, and the fewest replicas that keep up are chosen', () => {
    const plan = chainOf('test-service', { resources: { cpus: 1 } });
    // 20 ms per item whatever the batch: 50 req/s per replica, so 150 req/s needs 4 (3 would run at 100 %).
    const profile = profileOf(plan, { n: nodeProfile('test-service', { fixedMs: 0, perItemMs: 20, batches: [1, 2, 4, 8] }) });
    const r = tune(plan, profile, { qps: 150, p99Ms: 200 }, { cpus: 16, gpus: 0 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.settings.n.numReplicas).toBe(4);
    expect(r.totals.cpus).toBe(4);
    expect(r.binds[0]).toMatchObject({ node: 'n', resource: 'throughput' });
  });

  it('concurrency counts only where the profile shows speed-up', () => {
    const plan = chainOf('test-echo', { resources: { cpus: 1 } });
    const parallel = profileOf(plan, { n: nodeProfile('test-echo', { fixedMs: 20, speedup: (k) => k }) });
    const r = tune(plan, parallel, { qps: 150, p99Ms: 200 }, { cpus: 16, gpus: 0 });
    expect(r.ok && r.settings.n).toMatchObject({ numReplicas: 1, maxOngoingRequests: 4 });
  });

  it('cannot be met: says so with the best reachable p99 and the throughput ceiling', () => {
    const plan = chainOf('test-echo', { resources: { cpus: 1 } });
    const profile = profileOf(plan, { n: nodeProfile('test-echo', { fixedMs: 20 }) });
    const tooFast = tune(plan, profile, { qps: 10, p99Ms: 5 }, { cpus: 4, gpus: 0 });
    expect(tooFast.ok).toBe(false);
    if (tooFast.ok) return;
    expect(tooFast.bestP99Ms).toBeGreaterThan(20);
    expect(tooFast.bestP99Ms).toBeLessThan(30);
    expect(tooFast.reason).toMatch(/cannot meet p99 ≤ 5\.0 ms at 10\.0 req\/s/);
    // Small figures keep two significant digits (not "0.0 ms").
    const tiny = tune(plan, profile, { qps: 0.5, p99Ms: 0.01 }, { cpus: 4, gpus: 0 });
    expect(!tiny.ok && tiny.reason).toMatch(/cannot meet p99 ≤ 0\.01 ms at 0\.5 req\/s/);
    // 4 CPUs hold 4 replicas of 50 req/s.
    const tooMuch = tune(plan, profile, { qps: 500, p99Ms: 1000 }, { cpus: 4, gpus: 0 });
    expect(tooMuch.ok).toBe(false);
    if (tooMuch.ok) return;
    expect(tooMuch.bestP99Ms).toBe(Number.POSITIVE_INFINITY);
    expect(tooMuch.ceilingQps).toBeCloseTo(200, 6);
    expect(tooMuch.reason).toMatch(/keeps up with 500 req\/s \(most: 200 req\/s\)/);
    expect(tooMuch.best?.binds.some((b) => b.node === 'n' && b.resource === 'cpus')).toBe(true);
  });

  it('limited by GPU memory: 10 GB replicas fit one per 16 GB card whatever their share', () => {
    const plan = chainOf('test-echo', { resources: { cpus: 1, gpus: 0.25, gpuMemoryMb: 10_000 } });
    const profile = profileOf(plan, { n: nodeProfile('test-echo', { fixedMs: 20, gpus: 0.25 }) });
    // 80 req/s needs 2 replicas: they take both GPUs.
    const fits = tune(plan, profile, { qps: 80, p99Ms: 300 }, { cpus: 16, gpus: 2, gpuMemoryMb: 16_000 });
    expect(fits.ok && fits.settings.n.numReplicas).toBe(2);
    expect(fits.ok && fits.totals.gpus).toBe(2);
    // 120 req/s needs 3: the third has no card with 10 GB free although shares would allow 8.
    const short = tune(plan, profile, { qps: 120, p99Ms: 300 }, { cpus: 16, gpus: 2, gpuMemoryMb: 16_000 });
    expect(short.ok).toBe(false);
    if (short.ok) return;
    expect(short.ceilingQps).toBeCloseTo(100, 6);
    expect(short.best?.binds.find((b) => b.resource === 'gpuMemoryMb')?.node).toBe('n');
  });

  it('fewest GPUs first: a GPU node takes only what the rate needs while CPU nodes scale', () => {
    const plan = planOf(
      [
        { id: 'pre', kind: 'test-echo', deployment: { resources: { cpus: 1 } } },
        { id: 'gpu', kind: 'test-service', deployment: { resources: { cpus: 1, gpus: 0.5 } } },
      ],
      [['input', 'pre'], ['pre', 'gpu'], ['gpu', 'output']],
    );
    const profile = profileOf(plan, { pre: nodeProfile('test-echo', { fixedMs: 10 }), gpu: nodeProfile('test-service', { fixedMs: 30, perItemMs: 1, batches: [1, 2, 4, 8, 16], gpus: 0.5 }) });
    const r = tune(plan, profile, { qps: 200, p99Ms: 250 }, { cpus: 16, gpus: 4 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    // One half-GPU replica batching takes 16/46 ms ≈ 348 req/s; the CPU node needs 3 replicas of 100 req/s.
    expect(r.totals.gpus).toBe(1);
    expect(r.settings.gpu.numReplicas).toBe(1);
    expect(r.settings.pre.numReplicas).toBe(3);
    expect(r.placement.unplaced).toEqual([]);
  });

  it('fewest CPUs: a reservation shrinks towards what the replica is busy, with headroom, in 0.25 steps', () => {
    const plan = chainOf('test-echo', { resources: { cpus: 2 } });
    const profile = profileOf(plan, { n: nodeProfile('test-echo', { fixedMs: 10, cpus: 2 }) });
    // 10 req/s x 10 ms = 0.1 CPU busy: the floor, 0.25.
    const idle = tune(plan, profile, { qps: 10, p99Ms: 100 }, { cpus: 4, gpus: 0 });
    expect(idle.ok && idle.settings.n).toMatchObject({ numReplicas: 1, cpus: 0.25 });
    expect(idle.ok && idle.totals.cpus).toBe(0.25);
    // 50 req/s: 0.5 busy x 1.25 headroom = 0.625, rounded up to 0.75.
    const busy = tune(plan, profile, { qps: 50, p99Ms: 100 }, { cpus: 4, gpus: 0 });
    expect(busy.ok && busy.settings.n.cpus).toBe(0.75);
    expect(busy.ok && busy.prediction.nodes.n.busyCpus).toBeCloseTo(0.5, 6);
    // GPU shares stay as profiled.
    const gplan = chainOf('test-echo', { resources: { cpus: 1, gpus: 0.5 } });
    const g = tune(gplan, profileOf(gplan, { n: nodeProfile('test-echo', { fixedMs: 10, cpus: 1, gpus: 0.5 }) }), { qps: 10, p99Ms: 100 }, { cpus: 4, gpus: 1 });
    expect(g.ok && g.settings.n).toMatchObject({ cpus: 0.25, gpus: 0.5 });
  });

  it('autoscale targets never exceed maxOngoingRequests', () => {
    const plan = chainOf('test-echo', { resources: { cpus: 1 } });
    // Calls overlap perfectly (waiting on I/O): at 380 req/s of 40 ms Little's law gives 7 ongoing per replica of 4 allowed.
    const profile = profileOf(plan, { n: nodeProfile('test-echo', { fixedMs: 40, speedup: (k) => k }) });
    const b = autoscaleBounds(plan, profile, { minQps: 10, maxQps: 380, p99Ms: 400 }, { cpus: 64, gpus: 0 });
    const r = tune(plan, profile, { qps: 380, p99Ms: 400 }, { cpus: 64, gpus: 0 });
    if (!r.ok) throw new Error(r.reason);
    expect(b.nodes.n.targetOngoingRequests).toBeLessThanOrEqual(r.settings.n.maxOngoingRequests);
  });

  it('applySettings writes the choice into a new graph that compiles to it', () => {
    const plan = chainOf('test-service');
    const profile = profileOf(plan, { n: nodeProfile('test-service', { fixedMs: 10, perItemMs: 1, batches: [1, 2, 4, 8] }) });
    const r = tune(plan, profile, { qps: 300, p99Ms: 100 }, { cpus: 4, gpus: 0 });
    if (!r.ok) throw new Error(r.reason);
    const g = applySettings(plan.graph, r.settings);
    expect(plan.graph.nodes.find((n) => n.id === 'n')?.deployment).toEqual({});
    const again = compile(g, catalog);
    if (!again.ok) throw new Error(JSON.stringify(again.errors));
    const d = again.plan.nodes.n.deployment;
    expect(d.numReplicas).toBe(r.settings.n.numReplicas);
    expect(d.batching).toEqual({ maxBatchSize: r.settings.n.maxBatchSize, batchWaitTimeoutMs: r.settings.n.batchWaitMs });
    expect(d.maxOngoingRequests).toBe(r.settings.n.maxOngoingRequests);
  });
});
