import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gpuLowerBound, place, type ReplicaDemand, singleMachine } from '../../shared/placement.js';

const share = (id: string, gpus: number, cpus = 1): ReplicaDemand => ({ replica: id, node: id.split('#')[0], cpus, gpus, memoryMb: 0 });

describe('placement packs fractional GPUs to the fewest cards', () => {
  it('finds the 2-GPU packing of 0.4 0.4 0.3 0.3 0.3 0.3 that best-fit alone misses', () => {
    const demands = [0.4, 0.4, 0.3, 0.3, 0.3, 0.3].map((g, i) => share(`n${i}#0`, g));
    const r = place(demands, singleMachine({ cpus: 16, memoryMb: 64_000, gpus: 4 }));
    expect(r.unplaced).toEqual([]);
    expect(r.gpusUsed).toBe(2);
    for (const g of r.gpus) expect(g.used).toBeLessThanOrEqual(1 + 1e-9);
  });

  it('places every share when best-fit would strand one (0.4 0.4 0.3 0.3 0.3 0.3 on 2 GPUs)', () => {
    const demands = [0.4, 0.4, 0.3, 0.3, 0.3, 0.3].map((g, i) => share(`n${i}#0`, g));
    const r = place(demands, singleMachine({ cpus: 16, memoryMb: 64_000, gpus: 2 }));
    expect(r.unplaced).toEqual([]);
    expect(r.gpusUsed).toBe(2);
  });

  it('keeps existing assignments and host CPU limits while repacking', () => {
    const cluster = singleMachine({ cpus: 4, memoryMb: 64_000, gpus: 3 });
    const existing = [{ replica: 'old#0', node: 'old', machine: 'local', cpus: 1, memoryMb: 0, gpus: [{ index: 0, share: 0.5, memoryMb: 8000 }] }];
    const demands = [0.4, 0.3, 0.3, 0.5].map((g, i) => share(`n${i}#0`, g));
    const r = place(demands, cluster, existing);
    // 4 CPUs: one held by the old replica, so only three of the four new ones fit.
    expect(r.assignments).toHaveLength(3);
    expect(r.unplaced).toHaveLength(1);
    expect(r.unplaced[0].resource).toBe('cpus');
    expect(r.gpus[0].replicas.map((x) => x.replica)).toContain('old#0');
    for (const g of r.gpus) expect(g.used).toBeLessThanOrEqual(1 + 1e-9);
  });

  it('property: never over-commits a GPU, accounts for every demand, and never beats the lower bound', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.constantFrom(0, 0.1, 0.2, 0.25, 0.3, 0.33, 0.4, 0.5, 0.6, 0.75, 1, 2), { minLength: 1, maxLength: 14 }),
        (gpus, shares) => {
          const demands = shares.map((g, i) => share(`n${i}#0`, g));
          const r = place(demands, singleMachine({ cpus: 64, memoryMb: 64_000, gpus }));
          const ids = [...r.assignments.map((a) => a.replica), ...r.unplaced.map((u) => u.replica)].sort();
          if (JSON.stringify(ids) !== JSON.stringify(demands.map((d) => d.replica).sort())) return false;
          if (r.gpus.some((g) => g.used > 1 + 1e-6)) return false;
          const placed = demands.filter((d) => r.assignments.some((a) => a.replica === d.replica));
          return r.gpusUsed >= gpuLowerBound(placed);
        },
      ),
      { numRuns: 300 },
    );
  });
});
