import type { Catalog } from '../../shared/catalog/index.js';
import { compile } from '../../shared/compile.js';
import type { GraphError } from '../../shared/errors.js';
import { type Cluster, demandsFromPlan, type PlacementResult, place, singleMachine } from '../../shared/placement.js';

export type ClusterChoice = { kind: 'this' } | { kind: 'gpus'; count: number; gpuMemoryMb?: number };

/** The cluster a preview packs onto: the runtime's own machines, or a machine with N declared GPUs. */
export function previewCluster(choice: ClusterChoice, here: Cluster | undefined): Cluster {
  if (choice.kind === 'this') return here ?? singleMachine({ cpus: 8, memoryMb: 16_384, gpus: 0 });
  const cpus = Math.max(16, ...(here?.machines.map((m) => m.cpus) ?? []));
  return singleMachine({ cpus, memoryMb: 1_048_576, gpus: choice.count, gpuMemoryMb: choice.gpuMemoryMb ?? 16_000 });
}

export type PreviewResult = { ok: true; placement: PlacementResult; replicas: number } | { ok: false; errors: GraphError[] };

/** Compiles the graph and packs its initial replicas: what `beamline plan` would print. */
export function previewPlacement(graph: unknown, cluster: Cluster, catalog?: Catalog): PreviewResult {
  const r = compile(graph, catalog);
  if (!r.ok) return { ok: false, errors: r.errors };
  const demands = demandsFromPlan(r.plan);
  return { ok: true, placement: place(demands, cluster), replicas: demands.length };
}
