import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../../shared/compile.js';
import { type Cluster, demandsFromPlan, gpuLowerBound, gpusWithoutSharing, type MachineSpec, place, type ReplicaDemand, singleMachine } from '../../shared/placement.js';

const root = new URL('../../', import.meta.url);

const replicas = (node: string, n: number, r: { cpus?: number; gpus?: number; memoryMb?: number; gpuMemoryMb?: number }): ReplicaDemand[] =>
  Array.from({ length: n }, (_, i) => ({ replica: `${node}#${i}`, node, cpus: r.cpus ?? 0, gpus: r.gpus ?? 0, memoryMb: r.memoryMb ?? 0, ...(r.gpuMemoryMb !== undefined ? { gpuMemoryMb: r.gpuMemoryMb } : {}) }));

const machine = (id: string, cpus: number, gpus: number, gpuMemoryMb = 16_000, memoryMb = 64_000): MachineSpec => ({
  id,
  cpus,
  memoryMb,
  gpus: Array.from({ length: gpus }, (_, index) => ({ index, memoryMb: gpuMemoryMb })),
});

function planOf(example: string) {
  const r = compile(readFileSync(new URL(`examples/${example}/graph.json`, root), 'utf8'));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.plan;
}

describe('placement with a known optimum', () => {
  it('packs four quarter-GPU replicas onto one GPU', () => {
    const r = place(replicas('m', 4, { cpus: 1, gpus: 0.25 }), { machines: [machine('a', 8, 2)] });
    expect(r.unplaced).toEqual([]);
    expect(r.gpusUsed).toBe(1);
    expect(r.gpus[0]).toMatchObject({ machine: 'a', index: 0, used: 1, memoryUsedMb: 16_000 });
    expect(r.gpus[0].replicas.map((x) => `${x.replica}:${x.share}`)).toEqual(['m#0:0.25', 'm#1:0.25', 'm#2:0.25', 'm#3:0.25']);
    expect(r.gpus[1].used).toBe(0);
    expect(r.assignments.every((a) => a.gpus.length === 1 && a.gpus[0].memoryMb === 4000)).toBe(true);
  });

  it('leaves a fifth quarter PENDING on a one-GPU machine and says which resource is short', () => {
    const r = place(replicas('m', 5, { cpus: 1, gpus: 0.25 }), { machines: [machine('a', 8, 1)] });
    expect(r.assignments).toHaveLength(4);
    expect(r.unplaced).toEqual([{ replica: 'm#4', node: 'm', resource: 'gpus', needed: 0.25, available: 0, reason: 'needs 0.25 of a GPU; at most 0 free on any GPU' }]);
  });

  it('fills partly used GPUs before fresh ones (best fit), reaching the lower bound', () => {
    // 0.5 + 0.5 | 0.75 + 0.25 | 0.25 + 0.25 + 0.5: the shares sum to 3, so 3 GPUs is optimal.
    const demands = [
      ...replicas('a', 2, { gpus: 0.5 }),
      ...replicas('b', 1, { gpus: 0.75 }),
      ...replicas('c', 3, { gpus: 0.25 }),
      ...replicas('d', 1, { gpus: 0.5 }),
    ];
    const r = place(demands, { machines: [machine('m', 16, 4)] });
    expect(r.unplaced).toEqual([]);
    expect(gpuLowerBound(demands)).toBe(3);
    expect(r.gpusUsed).toBe(3);
    expect(r.gpus.filter((g) => g.used > 0).every((g) => g.used === 1)).toBe(true);
  });

  it('puts a fraction on the GPU an existing replica already shares', () => {
    const cluster = { machines: [machine('m', 8, 2)] };
    const first = place(replicas('old', 1, { gpus: 0.5 }), cluster);
    const oldGpu = first.assignments[0].gpus[0].index;
    const r = place(replicas('new', 1, { gpus: 0.5 }), cluster, first.assignments);
    expect(r.assignments[0].gpus[0].index).toBe(oldGpu);
    expect(r.gpusUsed).toBe(1);
  });

  it('gives whole-GPU replicas free GPUs of one machine, the machine they fit most tightly', () => {
    const cluster = { machines: [machine('big', 32, 8), machine('small', 32, 2), machine('none', 32, 0)] };
    const r = place(replicas('llm', 1, { cpus: 1, gpus: 2 }), cluster);
    expect(r.assignments[0].machine).toBe('small');
    expect(r.assignments[0].gpus.map((g) => [g.index, g.share])).toEqual([
      [0, 1],
      [1, 1],
    ]);
  });

  it('never splits a whole-GPU replica across machines', () => {
    const r = place(replicas('llm', 1, { cpus: 1, gpus: 4 }), { machines: [machine('a', 32, 2), machine('b', 32, 2)] });
    expect(r.assignments).toEqual([]);
    expect(r.unplaced[0]).toMatchObject({ resource: 'gpus', needed: 4, available: 2, reason: 'needs 4 whole GPUs on one machine; at most 2 free on any machine' });
  });

  it('does not give a whole GPU that a fraction already uses', () => {
    const r = place([...replicas('small', 1, { gpus: 0.25 }), ...replicas('big', 1, { gpus: 2 })], { machines: [machine('m', 8, 2)] });
    // Whole GPUs are placed first, so the quarter finds no room left rather than blocking the big replica.
    expect(r.assignments.map((a) => a.replica)).toEqual(['big#0']);
    expect(r.unplaced.map((u) => u.replica)).toEqual(['small#0']);
  });

  it('respects CPUs and names the shortage', () => {
    const r = place(replicas('cpu', 3, { cpus: 1 }), { machines: [machine('m', 2, 0)] });
    expect(r.assignments).toHaveLength(2);
    expect(r.machines[0]).toMatchObject({ cpus: 2, cpusUsed: 2 });
    expect(r.unplaced).toEqual([{ replica: 'cpu#2', node: 'cpu', resource: 'cpus', needed: 1, available: 0, reason: 'needs 1 CPU; at most 0 free on any machine' }]);
  });

  it('respects reserved memory and names the shortage', () => {
    const r = place(replicas('mem', 2, { cpus: 1, memoryMb: 3000 }), { machines: [machine('m', 8, 0, 16_000, 5000)] });
    expect(r.assignments).toHaveLength(1);
    expect(r.unplaced[0]).toMatchObject({ resource: 'memoryMb', needed: 3000, available: 2000 });
  });

  it('reports CPUs, not GPUs, when the only GPU room is on a machine without the CPUs', () => {
    const cluster = { machines: [machine('cpu-box', 16, 0), machine('gpu-box', 1, 1)] };
    const r = place(replicas('m', 1, { cpus: 2, gpus: 0.25 }), cluster);
    expect(r.unplaced[0]).toMatchObject({ resource: 'cpus', needed: 2, available: 1, reason: 'needs 2 CPUs; at most 1 free on any machine with room on its GPUs' });
  });

  it('reports GPU memory when the share fits but the memory does not', () => {
    const r = place(replicas('m', 1, { gpus: 0.25, gpuMemoryMb: 20_000 }), { machines: [machine('m', 4, 1, 16_000)] });
    expect(r.unplaced[0]).toMatchObject({ resource: 'gpuMemoryMb', needed: 20_000, available: 16_000 });
  });

  it('says the cluster has no GPUs when it has none', () => {
    const r = place(replicas('m', 1, { cpus: 1, gpus: 0.5 }), singleMachine({ cpus: 4, memoryMb: 1000 }));
    expect(r.unplaced[0].reason).toBe('needs 0.5 GPUs but the cluster has no GPUs (declare some with --gpus)');
  });

  it('spreads over several machines, filling one GPU before touching the next', () => {
    const cluster: Cluster = { machines: [machine('a', 8, 1), machine('b', 8, 1)] };
    const r = place(replicas('m', 6, { cpus: 1, gpus: 0.25 }), cluster);
    expect(r.unplaced).toEqual([]);
    expect(r.gpusUsed).toBe(2);
    expect(r.gpus.map((g) => g.used).sort()).toEqual([0.5, 1]);
  });

  it('uses a GPU only as far as its machine has CPUs for the replicas', () => {
    // a's GPU has room for 4 quarters but a has 2 CPUs: 6 of 8 fit, and the reason is CPUs.
    const r = place(replicas('m', 8, { cpus: 1, gpus: 0.25 }), { machines: [machine('a', 2, 1), machine('b', 8, 1)] });
    expect(r.assignments.filter((x) => x.machine === 'a')).toHaveLength(2);
    expect(r.assignments.filter((x) => x.machine === 'b')).toHaveLength(4);
    expect(r.unplaced.map((u) => [u.resource, u.reason])).toEqual([
      ['cpus', 'needs 1 CPU; at most 0 free on any machine with room on its GPUs'],
      ['cpus', 'needs 1 CPU; at most 0 free on any machine with room on its GPUs'],
    ]);
  });

  it('explains whole GPUs that exist but lack the memory asked for', () => {
    const cluster = { machines: [machine('big-card', 8, 1, 80_000), machine('small-cards', 8, 3, 8000)] };
    const r = place(replicas('llm', 1, { gpus: 3, gpuMemoryMb: 24_000 }), cluster);
    expect(r.unplaced[0]).toMatchObject({ resource: 'gpuMemoryMb', needed: 24_000, available: 8000 });
  });
});

describe('the examples', () => {
  it('document-analysis: 2 GPUs with sharing, 5 one model per GPU', () => {
    const plan = planOf('document-analysis');
    const demands = demandsFromPlan(plan);
    expect(gpusWithoutSharing(demands)).toBe(5);
    expect(gpuLowerBound(demands)).toBe(2);
    const r = place(demands, singleMachine({ cpus: 16, memoryMb: 64_000, gpus: 8 }));
    expect(r.unplaced).toEqual([]);
    expect(r.gpusUsed).toBe(2);
    // The summary holds one GPU alone; the classifier fills one GPU with four quarters; NER (wink, CPU only) holds none.
    const llm = r.assignments.find((a) => a.node === 'summarize')!;
    expect(llm.gpus).toHaveLength(1);
    expect(r.gpus[llm.gpus[0].index].replicas.map((x) => x.node)).toEqual(['summarize']);
    const shared = r.gpus.filter((g) => g.replicas.some((x) => x.node !== 'summarize'));
    expect(shared.map((g) => [...new Set(g.replicas.map((x) => x.node))].join('+'))).toEqual(['classify']);
    expect(shared.every((g) => g.used === 1 && g.replicas.length === 4)).toBe(true);
    expect(r.assignments.filter((a) => a.node === 'ner').every((a) => a.gpus.length === 0)).toBe(true);
  });

  it('document-analysis fits exactly 2 GPUs and not 1', () => {
    const demands = demandsFromPlan(planOf('document-analysis'));
    expect(place(demands, singleMachine({ cpus: 16, memoryMb: 64_000, gpus: 2 })).unplaced).toEqual([]);
    const one = place(demands, singleMachine({ cpus: 16, memoryMb: 64_000, gpus: 1 }));
    expect(one.unplaced.length).toBeGreaterThan(0);
    expect(one.unplaced.every((u) => u.resource === 'gpus')).toBe(true);
  });

  it('fractional-gpu: three models on one GPU, the entity recogniser on the CPU', () => {
    const demands = demandsFromPlan(planOf('fractional-gpu'));
    expect(demands).toHaveLength(4);
    const r = place(demands, singleMachine({ cpus: 4, memoryMb: 16_000, gpus: 1 }));
    expect(r.unplaced).toEqual([]);
    expect(r.gpusUsed).toBe(1);
    expect(r.gpus[0].replicas.map((x) => x.node).sort()).toEqual(['classify', 'embed', 'rerank']);
    expect(gpusWithoutSharing(demands)).toBe(3);
  });
});

describe('placement invariants on random demands', () => {
  const demand = fc.record({
    cpus: fc.constantFrom(0, 0.5, 1, 2, 4),
    gpus: fc.constantFrom(0, 0, 0.1, 0.25, 1 / 3, 0.5, 0.75, 1, 2, 3, 4),
    memoryMb: fc.constantFrom(0, 0, 512, 4096),
    gpuMemoryMb: fc.option(fc.constantFrom(1000, 8000, 24_000), { nil: undefined }),
  });
  const cluster = fc.array(fc.record({ cpus: fc.integer({ min: 0, max: 16 }), gpus: fc.integer({ min: 0, max: 8 }), gpuMem: fc.constantFrom(8000, 16_000, 80_000), mem: fc.constantFrom(2000, 64_000) }), {
    minLength: 1,
    maxLength: 4,
  });

  it('never overcommits, places or explains each replica once, and keeps whole GPUs exclusive', () => {
    fc.assert(
      fc.property(fc.array(demand, { maxLength: 30 }), cluster, (ds, ms) => {
        const demands: ReplicaDemand[] = ds.map(({ gpuMemoryMb, ...d }, i) => ({ replica: `r${i}`, node: `n${i % 3}`, ...d, ...(gpuMemoryMb !== undefined ? { gpuMemoryMb } : {}) }));
        const c: Cluster = { machines: ms.map((m, i) => machine(`m${i}`, m.cpus, m.gpus, m.gpuMem, m.mem)) };
        const r = place(demands, c);
        expect([...r.assignments.map((a) => a.replica), ...r.unplaced.map((u) => u.replica)].sort()).toEqual(demands.map((d) => d.replica).sort());
        for (const m of r.machines) {
          expect(m.cpusUsed).toBeLessThanOrEqual(m.cpus + 1e-9);
          expect(m.memoryUsedMb).toBeLessThanOrEqual(m.memoryMb);
        }
        for (const g of r.gpus) {
          expect(g.used).toBeLessThanOrEqual(1 + 1e-9);
          expect(g.memoryUsedMb).toBeLessThanOrEqual(g.memoryMb + 1e-6);
        }
        for (const a of r.assignments) {
          const d = demands.find((x) => x.replica === a.replica)!;
          if (d.gpus >= 1) {
            expect(a.gpus).toHaveLength(d.gpus);
            for (const grant of a.gpus) expect(r.gpus.find((g) => g.machine === a.machine && g.index === grant.index)!.replicas).toHaveLength(1);
          } else if (d.gpus > 0) expect(a.gpus).toHaveLength(1);
          else expect(a.gpus).toEqual([]);
        }
        for (const u of r.unplaced) {
          expect(u.needed).toBeGreaterThan(u.available);
          expect(u.reason).toMatch(/^needs /);
        }
        const placedGpuDemands = demands.filter((d) => r.assignments.some((a) => a.replica === d.replica));
        expect(r.gpusUsed).toBeGreaterThanOrEqual(gpuLowerBound(placedGpuDemands));
      }),
      { numRuns: 400 },
    );
  });

  it('reaches the lower bound when shares divide each other (halves, quarters, eighths, whole GPUs)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(0.125, 0.25, 0.5, 1, 2, 4), { maxLength: 40 }), (gpus) => {
        const demands = gpus.map((g, i) => ({ replica: `r${i}`, node: 'n', cpus: 0, gpus: g, memoryMb: 0 }));
        const r = place(demands, { machines: [machine('m', 1, 128)] });
        expect(r.unplaced).toEqual([]);
        expect(r.gpusUsed).toBe(gpuLowerBound(demands));
      }),
      { numRuns: 300 },
    );
  });
});
