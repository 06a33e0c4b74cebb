import type { Catalog } from '../../shared/catalog/index.js';
import { compile } from '../../shared/compile.js';
import type { GraphError } from '../../shared/errors.js';
import { type Assignment, type Cluster, demandsFromPlan, type PlacementResult, place, singleMachine } from '../../shared/placement.js';
import type { ClusterStatus } from '../../shared/protocol.js';

export type ClusterChoice = { kind: 'this' } | { kind: 'gpus'; count: number; gpuMemoryMb?: number };

/** The cluster a preview packs onto: the runtime's own machines, or a machine with N declared GPUs. */
export function previewCluster(choice: ClusterChoice, here: Cluster | undefined): Cluster {
  if (choice.kind === 'this') return here ?? singleMachine({ cpus: 8, memoryMb: 16_384, gpus: 0 });
  const cpus = Math.max(16, ...(here?.machines.map((m) => m.cpus) ?? []));
  return singleMachine({ cpus, memoryMb: 1_048_576, gpus: choice.count, gpuMemoryMb: choice.gpuMemoryMb ?? 16_000 });
}

/** The runtime's machines and GPUs as a Cluster to pack onto. */
export function clusterOf(c: ClusterStatus): Cluster {
  return {
    machines: c.machines.map((m) => ({
      id: m.machine,
      cpus: m.cpus,
      memoryMb: m.memoryMb,
      gpus: c.gpus.filter((g) => g.machine === m.machine).map((g) => ({ index: g.index, memoryMb: g.memoryMb, virtual: g.virtual })),
    })),
  };
}

/**
 * What the other graphs on the server hold, as assignments `place()` packs around: a redeploy
 * replaces `graph`'s own replicas, so those are left out. CPUs and memory come from the
 * per-graph holdings, GPU shares from each GPU's replica list (named `<graph>/<replica>`).
 */
export function heldByOthers(c: ClusterStatus, graph: string): Assignment[] {
  const machine = c.machines[0]?.machine ?? 'local';
  const out: Assignment[] = [];
  for (const h of c.holdings ?? []) {
    if (h.graph === graph) continue;
    out.push({ replica: `${h.graph}/${h.node}`, node: h.node, machine, cpus: h.cpus, memoryMb: h.memoryMb, gpus: [] });
  }
  for (const g of c.gpus) {
    for (const r of g.replicas) {
      if (r.replica.startsWith(`${graph}/`)) continue;
      const memoryMb = g.used > 0 ? (g.memoryUsedMb * r.share) / g.used : 0;
      out.push({ replica: `${r.replica}@gpu${g.index}`, node: r.node, machine: g.machine, cpus: 0, memoryMb: 0, gpus: [{ index: g.index, share: r.share, memoryMb }] });
    }
  }
  return out;
}

export type PreviewResult = { ok: true; placement: PlacementResult; replicas: number } | { ok: false; errors: GraphError[] };

/** Compiles the graph and packs its initial replicas around what is already held: what `beamline plan` would print. */
export function previewPlacement(graph: unknown, cluster: Cluster, catalog?: Catalog, existing: readonly Assignment[] = []): PreviewResult {
  const r = compile(graph, catalog);
  if (!r.ok) return { ok: false, errors: r.errors };
  const demands = demandsFromPlan(r.plan);
  return { ok: true, placement: place(demands, cluster, existing), replicas: demands.length };
}
