// Every replica costs memory and counts against the machine's replica cap, whatever its CPU share.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../shared/catalog/index.js';
import { compile } from '../../shared/compile.js';
import { DEFAULT_REPLICA_MEMORY_MB, MIN_REPLICA_MEMORY_MB } from '../../shared/deployment.js';
import { demandsFromPlan, place, type ReplicaDemand, singleMachine } from '../../shared/placement.js';
import { embedGraph } from './graph-builders.js';

const planOf = (deployment: Record<string, unknown>) => {
  const r = compile(embedGraph(deployment), builtinCatalog);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.plan;
};

describe('replica memory', () => {
  it('counts the kind estimate when resources.memoryMb is not set, cpus 0 included', () => {
    const estimate = builtinCatalog.get('embedder')!.memoryMb!;
    expect(estimate).toBeGreaterThan(0);
    const plan = planOf({ numReplicas: 3, resources: { cpus: 0 } });
    expect(plan.nodes.emb.memoryMb).toBe(estimate);
    expect(plan.totals.memoryMb).toBe(3 * estimate);
    expect(demandsFromPlan(plan).map((d) => d.memoryMb)).toEqual([estimate, estimate, estimate]);
    // Inline nodes (input, output) run no replica and count nothing.
    expect(plan.nodes.in.memoryMb).toBe(0);
  });

  it('counts resources.memoryMb when set, never less than a bare replica', () => {
    expect(planOf({ resources: { memoryMb: 900 } }).nodes.emb.memoryMb).toBe(900);
    expect(planOf({ resources: { memoryMb: 1 } }).nodes.emb.memoryMb).toBe(MIN_REPLICA_MEMORY_MB);
    expect(DEFAULT_REPLICA_MEMORY_MB).toBeGreaterThanOrEqual(MIN_REPLICA_MEMORY_MB);
  });

  it('leaves replicas unplaced on memory when cpus 0 would otherwise take them all', () => {
    const r = place(demandsFromPlan(planOf({ numReplicas: 40, resources: { cpus: 0 } })), singleMachine({ cpus: 2, memoryMb: 1024 }));
    expect(r.assignments.length).toBe(Math.floor(1024 / planOf({}).nodes.emb.memoryMb));
    expect(r.unplaced[0]).toMatchObject({ node: 'emb', resource: 'memoryMb' });
    expect(r.unplaced[0].reason).not.toMatch(/CPU/);
  });
});

describe('replica cap (maxReplicas)', () => {
  const cpu0 = (n: number, prefix = 'r'): ReplicaDemand[] => Array.from({ length: n }, (_, i) => ({ replica: `${prefix}${i}`, node: 'n', cpus: 0, gpus: 0, memoryMb: 0 }));

  it('places at most maxReplicas on a machine, counting what it already holds, and says why', () => {
    const cluster = { machines: [{ ...singleMachine({ cpus: 8, memoryMb: 64_000 }).machines[0], maxReplicas: 5 }] };
    const first = place(cpu0(3, 'a'), cluster);
    const r = place(cpu0(4), cluster, first.assignments);
    expect(r.assignments).toHaveLength(2);
    expect(r.unplaced).toHaveLength(2);
    expect(r.unplaced[0]).toMatchObject({ resource: 'replicas', needed: 1, available: 0 });
    expect(r.unplaced[0].reason).toMatch(/at most 5 replicas \(--max-replicas\)/);
    expect(r.machines[0]).toMatchObject({ replicas: 5, maxReplicas: 5 });
  });

  it('property: no machine ever holds more than its cap, GPU shares included', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.array(fc.constantFrom(0, 0.25, 0.5, 1), { maxLength: 20 }), (cap, gpus) => {
        const cluster = { machines: [{ id: 'm', cpus: 64, memoryMb: 64_000, gpus: [0, 1, 2].map((index) => ({ index, memoryMb: 16_000 })), maxReplicas: cap }] };
        const r = place(
          gpus.map((g, i) => ({ replica: `r${i}`, node: 'n', cpus: 0, gpus: g, memoryMb: 0 })),
          cluster,
        );
        expect(r.assignments.length).toBeLessThanOrEqual(cap);
        expect(r.assignments.length + r.unplaced.length).toBe(gpus.length);
      }),
    );
  });
});
