import { describe, expect, it } from 'vitest';
import { erlangC, predict, replicaServers, serviceAt } from '../../runtime/tune/model.js';
import { nodeProfile, planOf, profileOf, stats } from './synthetic.js';

const one = { numReplicas: 1, maxBatchSize: 1, batchWaitMs: 0, maxOngoingRequests: 1, cpus: 1, gpus: 0 };

describe('tuning model', () => {
  it('interpolates service time between profiled batch sizes and extrapolates per item past the last', () => {
    const np = nodeProfile('test-service', { fixedMs: 10, perItemMs: 2, batches: [1, 2, 4, 8] });
    expect(serviceAt(np, 3).mean).toBeCloseTo(16, 6);
    expect(serviceAt(np, 16).mean).toBeCloseTo(42, 6);
  });

  it('counts a replica as k servers only as far as the profile shows speed-up', () => {
    const cpuBound = nodeProfile('test-echo', { fixedMs: 10 });
    const parallel = nodeProfile('test-echo', { fixedMs: 10, speedup: (k) => k });
    expect(replicaServers(cpuBound, 4)).toBeCloseTo(1, 6);
    expect(replicaServers(parallel, 4)).toBeCloseTo(4, 6);
    expect(replicaServers(parallel, 3)).toBeCloseTo(3, 6);
    // Never past the largest level measured.
    expect(replicaServers(parallel, 16)).toBeCloseTo(4, 6);
  });

  it('Erlang C matches the closed form', () => {
    expect(erlangC(1, 0.5)).toBeCloseTo(0.5, 9);
    expect(erlangC(2, 1)).toBeCloseTo(1 / 3, 9);
    expect(erlangC(2, 2)).toBe(1);
  });

  it('gives M/M/1 its mean wait when the service is exponential (cs² = 1)', () => {
    const plan = planOf([{ id: 'a', kind: 'test-echo' }], [['input', 'a'], ['a', 'output']]);
    const np = nodeProfile('test-echo', { fixedMs: 10 });
    np.points[0].serviceMs = { p50: 6.93, p90: 23, p99: 46, mean: 10, std: 10, min: 0 };
    const p = predict(plan, profileOf(plan, { a: np }), { a: one }, 50);
    // λ = 50/s, μ = 100/s: Wq = ρ / (μ - λ) = 0.5 / 50 s = 10 ms.
    expect(p.nodes.a.waitMs).toBeCloseTo(10, 6);
    expect(p.nodes.a.utilization).toBeCloseTo(0.5, 6);
    expect(p.ceilingQps).toBeCloseTo(100, 6);
  });

  it('adds a chain and waits for the slowest of parallel branches (the response joins both outputs)', () => {
    const chain = planOf([{ id: 'a', kind: 'test-echo' }, { id: 'b', kind: 'test-echo' }], [['input', 'a'], ['a', 'b'], ['b', 'output']]);
    const fork = planOf(
      [{ id: 'a', kind: 'test-echo' }, { id: 'b', kind: 'test-echo' }, { id: 'j', kind: 'test-echo' }, { id: 'out2', kind: 'output' }],
      [['input', 'a'], ['input', 'b'], ['a', 'j'], ['j', 'output'], ['b', 'out2']],
      true,
    );
    const nodes = { a: nodeProfile('test-echo', { fixedMs: 10 }), b: nodeProfile('test-echo', { fixedMs: 30 }), j: nodeProfile('test-echo', { fixedMs: 5 }) };
    const pc = predict(chain, profileOf(chain, nodes), { a: one, b: one }, 0);
    const pf = predict(fork, profileOf(fork, nodes), { a: one, b: one, j: one }, 0);
    expect(pc.p50Ms / 40).toBeGreaterThan(0.97);
    expect(pc.p50Ms / 40).toBeLessThan(1.03);
    // a + j = 15 ms beside b = 30 ms.
    expect(pf.p50Ms / 30).toBeGreaterThan(0.97);
    expect(pf.p50Ms / 30).toBeLessThan(1.03);
    // b is on the slowest path of every request, a of none.
    expect(pf.criticalPath.find((c) => c.node === 'b')?.share).toBe(1);
    expect(pf.criticalPath.find((c) => c.node === 'a')).toBeUndefined();
  });

  it('grows batches with load and caps the ceiling at full batches', () => {
    const plan = planOf([{ id: 's', kind: 'test-service' }], [['input', 's'], ['s', 'output']]);
    const np = nodeProfile('test-service', { fixedMs: 10, perItemMs: 1, batches: [1, 2, 4, 8] });
    const set = { ...one, maxBatchSize: 8, batchWaitMs: 5, maxOngoingRequests: 8 };
    const light = predict(plan, profileOf(plan, { s: np }), { s: set }, 10);
    const heavy = predict(plan, profileOf(plan, { s: np }), { s: set }, 400);
    expect(light.nodes.s.meanBatch).toBeLessThan(1.2);
    expect(heavy.nodes.s.meanBatch).toBeGreaterThan(4);
    // 8 items per 18 ms.
    expect(heavy.ceilingQps).toBeCloseTo(8000 / 18, 6);
    const over = predict(plan, profileOf(plan, { s: np }), { s: set }, 500);
    expect(over.p99Ms).toBe(Number.POSITIVE_INFINITY);
  });

  it('is repeatable with a seed', () => {
    const plan = planOf([{ id: 'a', kind: 'test-echo' }], [['input', 'a'], ['a', 'output']]);
    const prof = profileOf(plan, { a: nodeProfile('test-echo', { fixedMs: 10 }) });
    expect(predict(plan, prof, { a: one }, 60, { seed: 3 })).toEqual(predict(plan, prof, { a: one }, 60, { seed: 3 }));
  });

  it('bounds the rate by the CPUs whatever the replicas, and stretches node times as the CPUs fill', () => {
    const plan = planOf([{ id: 'a', kind: 'test-echo' }, { id: 'b', kind: 'test-echo' }], [['input', 'a'], ['a', 'b'], ['b', 'output']]);
    // Two CPU-bound nodes of 10 ms: a request takes 20 ms of CPU, so 2 CPUs serve at most 100 req/s.
    const prof = profileOf(plan, { a: nodeProfile('test-echo', { fixedMs: 10 }), b: nodeProfile('test-echo', { fixedMs: 10 }) });
    const eight = { ...one, numReplicas: 8 };
    const p = predict(plan, prof, { a: eight, b: eight }, 50, { cpus: 2 });
    expect(p.ceilingQps).toBeCloseTo(100, 6);
    expect(p.cpuUtilization).toBeCloseTo(0.5, 6);
    // Half the CPUs busy: processor sharing doubles a call's time (20 ms of work take about 40).
    expect(p.cpuStretch).toBeCloseTo(2, 6);
    expect(p.p50Ms).toBeGreaterThan(38);
    // On 64 CPUs the same replicas are the bound (8 x 100 req/s per node) and barely stretch.
    const wide = predict(plan, prof, { a: eight, b: eight }, 50, { cpus: 64 });
    expect(wide.ceilingQps).toBeCloseTo(800, 6);
    expect(wide.cpuStretch).toBeLessThan(1.02);
  });

  it("adds the request path and each node's in-graph time from the profile, and says when a profile has neither", () => {
    const plan = planOf([{ id: 'a', kind: 'test-echo' }], [['input', 'a'], ['a', 'output']]);
    const np = nodeProfile('test-echo', { fixedMs: 10 });
    const bare = predict(plan, profileOf(plan, { a: np }), { a: one }, 1e-3, { cpus: 64 });
    expect(bare.assumptions.join(' ')).toMatch(/no request-path measurement/);
    // In the graph the node took 2 ms more at every quantile; the path outside it a constant 3 ms.
    const withPath = { ...profileOf(plan, { a: { ...np, inGraph: { p50: 12, p90: 12.36, p99: 12.6, mean: 12, std: 0.2, min: 11.64 } } }), inGraph: { requests: 100, endToEndMs: stats(15), overheadMs: { p50: 3, p90: 3, p99: 3, mean: 3, std: 0, min: 3 } } };
    const p = predict(plan, withPath, { a: one }, 1e-3, { cpus: 64 });
    expect(p.assumptions.join(' ')).not.toMatch(/request-path/);
    expect(p.nodes.a.p50Ms).toBeCloseTo(bare.nodes.a.p50Ms + 2, 1);
    expect(p.p50Ms).toBeCloseTo(bare.p50Ms + 5, 1);
    // Capacity still follows the back-to-back service time: the hop does not hold the replica.
    expect(p.ceilingQps).toBeCloseTo(bare.ceilingQps, 6);
    // A node the in-graph step measured faster (its few back-to-back calls still warming) is taken at that.
    const faster = profileOf(plan, { a: { ...np, inGraph: { p50: 6, p90: 6.18, p99: 6.3, mean: 6, std: 0.1, min: 5.82 } } });
    expect(predict(plan, faster, { a: one }, 1e-3, { cpus: 64 }).nodes.a.p50Ms).toBeCloseTo(6, 0);
  });
});
