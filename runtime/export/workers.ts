import type { Plan } from '../../shared/plan.js';
import { type Cluster, place, type ReplicaDemand } from '../../shared/placement.js';

/** One Kubernetes worker pod's shape, as Ray sees it. */
export interface WorkerShape {
  cpus: number;
  memoryMb: number;
  gpus: number;
  /** Memory of each GPU card. */
  gpuMemoryMb: number;
}

export interface GroupSize {
  name: 'cpu-workers' | 'gpu-workers';
  shape: WorkerShape;
  /** Workers at the nodes' fewest, starting and most replicas. */
  min: number;
  initial: number;
  max: number;
  /** Replicas (at the starting count) per node, for the README. */
  replicas: Record<string, number>;
}

export class SizingError extends Error {
  constructor(
    readonly node: string,
    message: string,
  ) {
    super(`node ${node}: ${message}`);
    this.name = 'SizingError';
  }
}

// Ray gives about 30% of a pod's memory to the object store by default, so only
// the rest can be reserved by replicas' `memory`.
const SCHEDULABLE_MEMORY = 0.7;

type At = 'min' | 'initial' | 'max';

/** One demand per replica at the given count; the generated Ingress (0.25 CPU) included unless `ingress` is false (an imported app's ingress is one of its deployments). */
export function demandsAt(plan: Plan, at: At, ingress = true, ingressCpus = 0.25): ReplicaDemand[] {
  const out: ReplicaDemand[] = [];
  let most = 1;
  let autoscaled = false;
  for (const id of plan.order) {
    const n = plan.nodes[id];
    if (n.runsIn !== 'replica') continue;
    const a = n.deployment.autoscaling;
    autoscaled ||= !!a;
    most = Math.max(most, n.totals.maxReplicas);
    const count = at === 'max' ? n.totals.maxReplicas : at === 'initial' ? n.totals.replicas : a ? a.minReplicas : n.deployment.numReplicas;
    const r = n.deployment.resources;
    for (let i = 0; i < count; i++) {
      out.push({ replica: `${id}#${i}`, node: id, cpus: r.cpus, gpus: r.gpus, memoryMb: r.memoryMb, ...(r.gpuMemoryMb !== undefined ? { gpuMemoryMb: r.gpuMemoryMb } : {}) });
    }
  }
  const ingresses = !ingress ? 0 : at === 'max' && autoscaled ? most : 1;
  for (let i = 0; i < ingresses; i++) out.push({ replica: `ingress#${i}`, node: 'ingress', cpus: ingressCpus, gpus: 0, memoryMb: 0 });
  return out;
}

function workers(n: number, shape: WorkerShape, prefix: string): Cluster {
  return {
    machines: Array.from({ length: n }, (_, i) => ({
      id: `${prefix}-${i}`,
      cpus: shape.cpus,
      memoryMb: Math.floor(shape.memoryMb * SCHEDULABLE_MEMORY),
      gpus: Array.from({ length: shape.gpus }, (_, index) => ({ index, memoryMb: shape.gpuMemoryMb })),
    })),
  };
}

/** Fewest identical workers the placement planner fits every demand on; a demand no empty worker can hold is an error. */
export function workersNeeded(demands: readonly ReplicaDemand[], shape: WorkerShape, prefix: string): number {
  if (demands.length === 0) return 0;
  const alone = place(demands, workers(1, shape, prefix));
  for (const d of demands) {
    const lone = place([d], workers(1, shape, prefix));
    if (lone.unplaced.length) throw new SizingError(d.node, `one replica does not fit a ${prefix} pod (${describe(shape)}): ${lone.unplaced[0].reason}`);
  }
  if (alone.unplaced.length === 0) return 1;
  // Every demand fits an empty worker, so one worker per demand always suffices.
  let lo = 1;
  let hi = demands.length;
  while (lo + 1 < hi) {
    const mid = (lo + hi) >> 1;
    if (place(demands, workers(mid, shape, prefix)).unplaced.length === 0) hi = mid;
    else lo = mid;
  }
  return hi;
}

export function describe(shape: WorkerShape): string {
  return `${shape.cpus} CPUs, ${shape.memoryMb} MB${shape.gpus ? `, ${shape.gpus} GPU${shape.gpus > 1 ? 's' : ''} of ${shape.gpuMemoryMb} MB` : ''}`;
}

/**
 * Worker groups sized by the placement planner: replicas without GPUs go to the
 * CPU group, GPU replicas (fractional shares packed best-fit) to the GPU group.
 */
export function sizeWorkerGroups(apps: readonly { plan: Plan; ingress: boolean }[], cpuShape: WorkerShape, gpuShape: WorkerShape): GroupSize[] {
  const split = (at: At) => {
    // Several graphs are several applications on one cluster; replica names carry the graph so they stay apart.
    const all = apps.flatMap((a) => demandsAt(a.plan, at, a.ingress).map((d) => (apps.length > 1 ? { ...d, replica: `${a.plan.name}/${d.replica}`, node: `${a.plan.name}/${d.node}` } : d)));
    return { cpu: all.filter((d) => d.gpus <= 0), gpu: all.filter((d) => d.gpus > 0) };
  };
  const at = { min: split('min'), initial: split('initial'), max: split('max') };
  const replicas = (ds: ReplicaDemand[]) => {
    const r: Record<string, number> = {};
    for (const d of ds) r[d.node] = (r[d.node] ?? 0) + 1;
    return r;
  };
  const groups: GroupSize[] = [];
  const cpu = { ...cpuShape, gpus: 0 };
  groups.push({
    name: 'cpu-workers',
    shape: cpu,
    min: workersNeeded(at.min.cpu, cpu, 'cpu-workers'),
    initial: workersNeeded(at.initial.cpu, cpu, 'cpu-workers'),
    max: workersNeeded(at.max.cpu, cpu, 'cpu-workers'),
    replicas: replicas(at.initial.cpu),
  });
  if (at.max.gpu.length) {
    if (gpuShape.gpus < 1) throw new SizingError(at.max.gpu[0].node, 'needs a GPU but the GPU worker shape has none (set --gpus-per-worker)');
    groups.push({
      name: 'gpu-workers',
      shape: gpuShape,
      min: workersNeeded(at.min.gpu, gpuShape, 'gpu-workers'),
      initial: workersNeeded(at.initial.gpu, gpuShape, 'gpu-workers'),
      max: workersNeeded(at.max.gpu, gpuShape, 'gpu-workers'),
      replicas: replicas(at.initial.gpu),
    });
  }
  return groups;
}
