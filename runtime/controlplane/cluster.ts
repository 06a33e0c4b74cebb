import { execFileSync } from 'node:child_process';
import { availableParallelism, totalmem } from 'node:os';
import { type Assignment, type Cluster, type GpuSpec, place, type ReplicaDemand, type Unplaced } from '../../shared/placement.js';
import type { ClusterStatus, GraphHolding } from '../../shared/protocol.js';

export interface ClusterOptions {
  /** Declared (virtual) GPUs; when set, detection is skipped. */
  gpus?: number;
  gpuMemoryMb?: number;
  /** Logical CPUs to schedule against (default: the machine's). */
  cpus?: number;
  /** Memory replicas are placed in (default: schedulableMemoryMb()). */
  memoryMb?: number;
  /** Most replicas this server runs (default DEFAULT_MAX_REPLICAS). */
  maxReplicas?: number;
}

/** Replicas one server runs at most unless --max-replicas says otherwise: each is a thread (two with tsx's loader). */
export const DEFAULT_MAX_REPLICAS = 64;

/**
 * Memory replicas may be placed in when not given: the machine's, less headroom for the
 * server process itself and the system (10%, at least 1 GB).
 */
export function schedulableMemoryMb(total = totalmem()): number {
  const mb = Math.floor(total / 2 ** 20);
  return Math.max(0, mb - Math.max(1024, Math.ceil(mb * 0.1)));
}

/** GPUs from nvidia-smi, or none when it is missing or fails. */
export function detectGpus(): GpuSpec[] {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=index,memory.total,name', '--format=csv,noheader,nounits'], {
      encoding: 'utf8',
      timeout: 5000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [index, mem, ...name] = line.split(',').map((s) => s.trim());
        return { index: Number(index), memoryMb: Number(mem), name: name.join(',') };
      })
      .filter((g) => Number.isInteger(g.index) && g.memoryMb > 0);
  } catch {
    return [];
  }
}

export function describeCluster(opts: ClusterOptions = {}): { cluster: Cluster; gpuSource: ClusterStatus['gpuSource'] } {
  let gpus: GpuSpec[];
  let gpuSource: ClusterStatus['gpuSource'];
  if (opts.gpus !== undefined && opts.gpus > 0) {
    gpus = Array.from({ length: opts.gpus }, (_, index) => ({ index, memoryMb: opts.gpuMemoryMb ?? 16_000, name: 'declared', virtual: true }));
    gpuSource = 'declared';
  } else {
    gpus = opts.gpus === 0 ? [] : detectGpus();
    gpuSource = gpus.length ? 'detected' : 'none';
  }
  const machine = {
    id: 'local',
    cpus: opts.cpus ?? availableParallelism(),
    memoryMb: opts.memoryMb ?? schedulableMemoryMb(),
    gpus,
    maxReplicas: opts.maxReplicas ?? DEFAULT_MAX_REPLICAS,
  };
  return { cluster: { machines: [machine] }, gpuSource };
}

/**
 * The allocation ledger: what every live replica holds. Placement is the
 * shared planner run with the ledger as `existing`, so nothing is over-committed.
 */
export class ClusterLedger {
  private readonly held = new Map<string, Assignment>();
  private readonly freedListeners = new Set<() => void>();
  constructor(
    readonly cluster: Cluster,
    readonly gpuSource: ClusterStatus['gpuSource'],
  ) {}

  /** Reserve resources for one replica, or say why it cannot be placed. */
  reserve(d: ReplicaDemand): { ok: true; assignment: Assignment } | { ok: false; unplaced: Unplaced } {
    const r = place([d], this.cluster, [...this.held.values()]);
    const a = r.assignments[0];
    if (!a) return { ok: false, unplaced: r.unplaced[0] };
    this.held.set(d.replica, a);
    return { ok: true, assignment: a };
  }

  /**
   * Reserve resources for several replicas planned together (a deploy's initial replicas):
   * one place() call, so they are packed as `beamline plan` packs them, not in arrival order.
   * Those that fit are held; the rest come back with the planner's reason.
   */
  reserveAll(ds: readonly ReplicaDemand[]): { assignments: Map<string, Assignment>; unplaced: Map<string, Unplaced> } {
    const r = place(ds, this.cluster, [...this.held.values()]);
    for (const a of r.assignments) this.held.set(a.replica, a);
    return { assignments: new Map(r.assignments.map((a) => [a.replica, a])), unplaced: new Map(r.unplaced.map((u) => [u.replica, u])) };
  }

  /** What every live replica holds, keyed `<graph>/<replica id>`. */
  assignments(): Assignment[] {
    return [...this.held.values()];
  }

  release(replica: string): void {
    if (!this.held.delete(replica)) return;
    // Deferred so a pool that is releasing and re-placing finishes its own bookkeeping first.
    queueMicrotask(() => {
      for (const f of this.freedListeners) f();
    });
  }

  onFreed(f: () => void): () => void {
    this.freedListeners.add(f);
    return () => this.freedListeners.delete(f);
  }

  get virtualGpus(): boolean {
    return this.gpuSource === 'declared';
  }

  status(): ClusterStatus {
    const r = place([], this.cluster, [...this.held.values()]);
    return { machines: r.machines, gpus: r.gpus, gpuSource: this.gpuSource, holdings: this.holdings() };
  }

  /** What each graph's nodes hold, from the ledger keys (`<graph>/<replica id>`); sorted by graph, then node. */
  holdings(): GraphHolding[] {
    const byKey = new Map<string, GraphHolding>();
    for (const [key, a] of this.held) {
      const graph = key.slice(0, key.indexOf('/'));
      const k = `${graph}\0${a.node}`;
      let h = byKey.get(k);
      if (!h) {
        h = { graph, node: a.node, replicas: 0, cpus: 0, gpus: 0, memoryMb: 0 };
        byKey.set(k, h);
      }
      h.replicas++;
      h.cpus += a.cpus;
      h.gpus += a.gpus.reduce((s, g) => s + g.share, 0);
      h.memoryMb += a.memoryMb;
    }
    return [...byKey.values()].sort((x, y) => (x.graph === y.graph ? (x.node < y.node ? -1 : 1) : x.graph < y.graph ? -1 : 1));
  }

  /** Every held assignment but one graph's: a deploy preview's `existing`, since a redeploy replaces that graph's replicas. */
  heldExcept(graph: string): Assignment[] {
    return [...this.held.entries()].filter(([key]) => !key.startsWith(`${graph}/`)).map(([, a]) => a);
  }
}
