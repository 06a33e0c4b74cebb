import type { Plan } from './plan.js';

/**
 * The placement planner: a pure function shared by the runtime (its allocation
 * ledger), the CLI's `plan`, the editor's preview and the Ray exporter.
 * Fractional GPU shares are packed best-fit (fewest GPUs touched); whole-GPU
 * replicas take free GPUs of one machine; CPUs and memory are respected.
 */

export interface GpuSpec {
  index: number;
  memoryMb: number;
  name?: string;
  /** Declared with --gpus rather than detected: logical only, never shown as real. */
  virtual?: boolean;
}
export interface MachineSpec {
  id: string;
  cpus: number;
  memoryMb: number;
  gpus: GpuSpec[];
  /** Most replicas placed on this machine (a server's --max-replicas); unset: no cap. */
  maxReplicas?: number;
}
export interface Cluster {
  machines: MachineSpec[];
}

export interface ReplicaDemand {
  replica: string;
  node: string;
  cpus: number;
  /** A fraction up to 1, or a whole number. */
  gpus: number;
  memoryMb: number;
  /** GPU memory per replica; defaults to its share of the card. */
  gpuMemoryMb?: number;
}

export interface GpuGrant {
  index: number;
  /** Fraction of this GPU held (1 for each GPU of a whole-GPU replica). */
  share: number;
  memoryMb: number;
}
export interface Assignment {
  replica: string;
  node: string;
  machine: string;
  cpus: number;
  memoryMb: number;
  gpus: GpuGrant[];
}

export type Resource = 'cpus' | 'memoryMb' | 'gpus' | 'gpuMemoryMb' | 'replicas';
export interface Unplaced {
  replica: string;
  node: string;
  resource: Resource;
  needed: number;
  /** Most of that resource free in any one place it could go. */
  available: number;
  reason: string;
}

export interface GpuUsage {
  machine: string;
  index: number;
  virtual: boolean;
  used: number;
  memoryUsedMb: number;
  memoryMb: number;
  replicas: { replica: string; node: string; share: number }[];
}
export interface MachineUsage {
  machine: string;
  cpus: number;
  cpusUsed: number;
  memoryMb: number;
  memoryUsedMb: number;
  /** Replicas placed on it, and its cap when it has one (absent from older servers' status). */
  replicas?: number;
  maxReplicas?: number;
}

export interface PlacementResult {
  /** Assignments of the demands given (not of `existing`). */
  assignments: Assignment[];
  unplaced: Unplaced[];
  /** GPUs holding at least one replica, counting `existing`. */
  gpusUsed: number;
  gpus: GpuUsage[];
  machines: MachineUsage[];
}

const EPS = 1e-9;

interface GpuState {
  spec: GpuSpec;
  used: number;
  memUsed: number;
  replicas: { replica: string; node: string; share: number }[];
}
interface MachineState {
  spec: MachineSpec;
  cpusUsed: number;
  memUsed: number;
  replicas: number;
  gpus: GpuState[];
}

export function place(demands: readonly ReplicaDemand[], cluster: Cluster, existing: readonly Assignment[] = []): PlacementResult {
  const machines: MachineState[] = cluster.machines.map((m) => ({
    spec: m,
    cpusUsed: 0,
    memUsed: 0,
    replicas: 0,
    gpus: m.gpus.map((g) => ({ spec: g, used: 0, memUsed: 0, replicas: [] })),
  }));
  const byId = new Map(machines.map((m) => [m.spec.id, m]));
  for (const a of existing) {
    const m = byId.get(a.machine);
    if (!m) continue;
    commit(m, a);
  }

  // Largest first: whole GPUs, then fractional shares by size, then CPU-only replicas.
  const order = [...demands].sort((a, b) => weight(b) - weight(a));
  const assignments: Assignment[] = [];
  const unplaced: Unplaced[] = [];
  const greedy = (ds: ReplicaDemand[]) => {
    for (const d of ds) {
      const a = placeOne(d, machines);
      if (a) {
        commit(byId.get(a.machine)!, a);
        assignments.push(a);
      } else unplaced.push(explain(d, machines));
    }
  };
  greedy(order.filter((d) => d.gpus >= 1 - EPS));
  // Best-fit decreasing misses the fewest GPUs now and then (0.4 0.4 0.3 0.3 0.3 0.3
  // takes 3 GPUs, not 2): when it is above the bound, a bounded exact search repacks the shares.
  const shares = order.filter((d) => d.gpus > EPS && d.gpus < 1 - EPS);
  const before = machines.map(cloneMachine);
  const kept = { assignments: assignments.length, unplaced: unplaced.length };
  greedy(shares);
  const missed = unplaced.length - kept.unplaced;
  if (shares.length > 1 && (missed > 0 || touched(machines) > sharesBound(before, shares))) {
    const better = repackShares(shares, before.map(cloneMachine), missed > 0 ? undefined : touched(machines));
    if (better) {
      assignments.length = kept.assignments;
      unplaced.length = kept.unplaced;
      machines.forEach((m, i) => {
        restore(m, before[i]);
      });
      for (const a of better) {
        commit(byId.get(a.machine)!, a);
        assignments.push(a);
      }
    }
  }
  greedy(order.filter((d) => d.gpus <= EPS));
  // Report in the order the demands were given.
  const rank = new Map(demands.map((d, i) => [d.replica, i]));
  assignments.sort((a, b) => rank.get(a.replica)! - rank.get(b.replica)!);
  unplaced.sort((a, b) => rank.get(a.replica)! - rank.get(b.replica)!);

  const gpus: GpuUsage[] = machines.flatMap((m) =>
    m.gpus.map((g) => ({
      machine: m.spec.id,
      index: g.spec.index,
      virtual: !!g.spec.virtual,
      used: round(g.used),
      memoryUsedMb: Math.round(g.memUsed),
      memoryMb: g.spec.memoryMb,
      replicas: g.replicas,
    })),
  );
  return {
    assignments,
    unplaced,
    gpusUsed: gpus.filter((g) => g.used > EPS).length,
    gpus,
    machines: machines.map((m) => ({
      machine: m.spec.id,
      cpus: m.spec.cpus,
      cpusUsed: round(m.cpusUsed),
      memoryMb: m.spec.memoryMb,
      memoryUsedMb: m.memUsed,
      replicas: m.replicas,
      ...(m.spec.maxReplicas !== undefined ? { maxReplicas: m.spec.maxReplicas } : {}),
    })),
  };
}

function weight(d: ReplicaDemand): number {
  if (d.gpus >= 1) return 1e6 + d.gpus;
  if (d.gpus > 0) return 1e3 + d.gpus;
  return d.cpus / 1e3;
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

function gpuMem(d: ReplicaDemand, g: GpuSpec, share: number): number {
  return d.gpuMemoryMb ?? share * g.memoryMb;
}

function hostFits(m: MachineState, d: ReplicaDemand): boolean {
  return underCap(m, m.replicas) && m.cpusUsed + d.cpus <= m.spec.cpus + EPS && (d.memoryMb === 0 || m.memUsed + d.memoryMb <= m.spec.memoryMb + EPS);
}

/** Room for one more replica under the machine's cap (every replica is a thread, whatever it reserves). */
function underCap(m: MachineState, placed: number): boolean {
  return m.spec.maxReplicas === undefined || placed < m.spec.maxReplicas;
}

function placeOne(d: ReplicaDemand, machines: MachineState[]): Assignment | undefined {
  const base = { replica: d.replica, node: d.node, cpus: d.cpus, memoryMb: d.memoryMb };
  if (d.gpus <= EPS) {
    // Best fit on CPUs: the machine left with the fewest free CPUs.
    let best: MachineState | undefined;
    for (const m of machines) {
      if (!hostFits(m, d)) continue;
      if (!best || m.spec.cpus - m.cpusUsed < best.spec.cpus - best.cpusUsed) best = m;
    }
    return best && { ...base, machine: best.spec.id, gpus: [] };
  }
  if (d.gpus < 1 - EPS) {
    // Best fit: the GPU left with the least room, so partly used GPUs fill before fresh ones.
    let best: { m: MachineState; g: GpuState; left: number } | undefined;
    for (const m of machines) {
      if (!hostFits(m, d)) continue;
      for (const g of m.gpus) {
        const mem = gpuMem(d, g.spec, d.gpus);
        if (g.used + d.gpus > 1 + EPS || g.memUsed + mem > g.spec.memoryMb + EPS) continue;
        const left = 1 - g.used - d.gpus;
        if (!best || left < best.left - EPS) best = { m, g, left };
      }
    }
    if (!best) return undefined;
    return { ...base, machine: best.m.spec.id, gpus: [{ index: best.g.spec.index, share: d.gpus, memoryMb: gpuMem(d, best.g.spec, d.gpus) }] };
  }
  // Whole GPUs, all on one machine: the machine with the fewest free GPUs that still has enough.
  const n = Math.round(d.gpus);
  let best: { m: MachineState; free: GpuState[] } | undefined;
  for (const m of machines) {
    if (!hostFits(m, d)) continue;
    const free = m.gpus.filter((g) => g.used <= EPS && gpuMem(d, g.spec, 1) <= g.spec.memoryMb + EPS);
    if (free.length < n) continue;
    if (!best || free.length < best.free.length) best = { m, free };
  }
  if (!best) return undefined;
  return { ...base, machine: best.m.spec.id, gpus: best.free.slice(0, n).map((g) => ({ index: g.spec.index, share: 1, memoryMb: gpuMem(d, g.spec, 1) })) };
}

function cloneMachine(m: MachineState): MachineState {
  return { spec: m.spec, cpusUsed: m.cpusUsed, memUsed: m.memUsed, replicas: m.replicas, gpus: m.gpus.map((g) => ({ ...g, replicas: [...g.replicas] })) };
}

function restore(m: MachineState, from: MachineState): void {
  m.cpusUsed = from.cpusUsed;
  m.memUsed = from.memUsed;
  m.replicas = from.replicas;
  m.gpus = from.gpus.map((g) => ({ ...g, replicas: [...g.replicas] }));
}

function touched(machines: MachineState[]): number {
  let n = 0;
  for (const m of machines) for (const g of m.gpus) if (g.used > EPS) n++;
  return n;
}

/** Fewest GPUs these shares can touch: those already in use, plus what the rest of their room cannot hold. */
function sharesBound(machines: MachineState[], shares: ReplicaDemand[]): number {
  let room = 0;
  for (const m of machines) for (const g of m.gpus) if (g.used > EPS) room += Math.max(0, 1 - g.used);
  const total = shares.reduce((s, d) => s + d.gpus, 0);
  return touched(machines) + Math.max(0, Math.ceil(total - room - EPS));
}

/** Steps the exact share search may take before it settles for best-fit's answer. */
const SEARCH_BUDGET = 50_000;

/**
 * Depth-first search for a placement of every share that touches fewer GPUs
 * than `beat` (or any full placement when best-fit left some unplaced).
 * Equivalent GPUs (same machine, same load) are tried once; a branch stops when
 * the GPUs it touches plus the share left over the room it has reach the best.
 */
function repackShares(ds: ReplicaDemand[], machines: MachineState[], beat: number | undefined): Assignment[] | undefined {
  const gpus = machines.flatMap((m, mi) => m.gpus.map((g) => ({ mi, g })));
  const cpus = machines.map((m) => m.cpusUsed);
  const mem = machines.map((m) => m.memUsed);
  const count = machines.map((m) => m.replicas);
  const suffix: number[] = new Array(ds.length + 1).fill(0);
  for (let i = ds.length - 1; i >= 0; i--) suffix[i] = suffix[i + 1] + ds[i].gpus;
  let inUse = touched(machines);
  let best = beat ?? Number.POSITIVE_INFINITY;
  let bestPick: number[] | undefined;
  const pick: number[] = [];
  let steps = 0;
  const go = (i: number): void => {
    if (++steps > SEARCH_BUDGET) return;
    if (i === ds.length) {
      if (inUse < best) {
        best = inUse;
        bestPick = [...pick];
      }
      return;
    }
    let room = 0;
    for (const x of gpus) if (x.g.used > EPS) room += Math.max(0, 1 - x.g.used);
    if (inUse + Math.max(0, Math.ceil(suffix[i] - room - EPS)) >= best) return;
    const d = ds[i];
    const candidates: number[] = [];
    for (let k = 0; k < gpus.length; k++) {
      const { mi, g } = gpus[k];
      const m = machines[mi];
      if (!underCap(m, count[mi]) || cpus[mi] + d.cpus > m.spec.cpus + EPS || (d.memoryMb > 0 && mem[mi] + d.memoryMb > m.spec.memoryMb + EPS)) continue;
      if (g.used + d.gpus > 1 + EPS || g.memUsed + gpuMem(d, g.spec, d.gpus) > g.spec.memoryMb + EPS) continue;
      candidates.push(k);
    }
    // Fullest GPU first (best fit), fresh GPUs last.
    const left = (k: number) => (gpus[k].g.used > EPS ? 1 - gpus[k].g.used : 2);
    candidates.sort((a, b) => left(a) - left(b));
    const seen = new Set<string>();
    for (const k of candidates) {
      const { mi, g } = gpus[k];
      const key = `${mi}|${round(g.used)}|${Math.round(g.memUsed)}|${g.spec.memoryMb}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const gm = gpuMem(d, g.spec, d.gpus);
      const fresh = g.used <= EPS;
      g.used += d.gpus;
      g.memUsed += gm;
      cpus[mi] += d.cpus;
      mem[mi] += d.memoryMb;
      count[mi]++;
      if (fresh) inUse++;
      pick.push(k);
      go(i + 1);
      pick.pop();
      if (fresh) inUse--;
      g.used -= d.gpus;
      g.memUsed -= gm;
      cpus[mi] -= d.cpus;
      mem[mi] -= d.memoryMb;
      count[mi]--;
      if (steps > SEARCH_BUDGET) return;
    }
  };
  go(0);
  if (!bestPick) return undefined;
  return ds.map((d, i) => {
    const { mi, g } = gpus[bestPick![i]];
    return {
      replica: d.replica,
      node: d.node,
      machine: machines[mi].spec.id,
      cpus: d.cpus,
      memoryMb: d.memoryMb,
      gpus: [{ index: g.spec.index, share: d.gpus, memoryMb: gpuMem(d, g.spec, d.gpus) }],
    };
  });
}

function commit(m: MachineState, a: Assignment): void {
  m.replicas++;
  m.cpusUsed += a.cpus;
  m.memUsed += a.memoryMb;
  for (const grant of a.gpus) {
    const g = m.gpus.find((x) => x.spec.index === grant.index);
    if (!g) continue;
    g.used += grant.share;
    g.memUsed += grant.memoryMb;
    g.replicas.push({ replica: a.replica, node: a.node, share: grant.share });
  }
}

/** Room for the GPU part of a demand on one machine, ignoring its CPUs and memory. */
function gpuFits(d: ReplicaDemand, m: MachineState): boolean {
  if (d.gpus <= EPS) return true;
  if (d.gpus < 1 - EPS) return m.gpus.some((g) => g.used + d.gpus <= 1 + EPS && g.memUsed + gpuMem(d, g.spec, d.gpus) <= g.spec.memoryMb + EPS);
  return m.gpus.filter((g) => g.used <= EPS && gpuMem(d, g.spec, 1) <= g.spec.memoryMb + EPS).length >= Math.round(d.gpus);
}

const fmt = (x: number) => String(round(x));
const plural = (n: number, one: string, many = `${one}s`) => `${fmt(n)} ${Math.abs(n - 1) < EPS ? one : many}`;

/**
 * Which resource is short for a demand that fits nowhere, and by how much. The GPU
 * part is judged first; when it fits somewhere, the CPUs and memory of those machines.
 */
function explain(d: ReplicaDemand, all: MachineState[]): Unplaced {
  const base = { replica: d.replica, node: d.node };
  // A machine at its replica cap takes nothing more, whatever the replica reserves.
  const machines = all.filter((m) => underCap(m, m.replicas));
  if (machines.length === 0) {
    const cap = all.reduce((s, m) => s + (m.spec.maxReplicas ?? 0), 0);
    const where = all.length === 1 ? 'the server runs' : 'the machines run';
    return { ...base, resource: 'replicas', needed: 1, available: 0, reason: `${where} at most ${cap} replicas (--max-replicas) and ${cap} are placed` };
  }
  if (d.gpus > EPS) {
    if (machines.every((m) => m.gpus.length === 0)) {
      return { ...base, resource: 'gpus', needed: d.gpus, available: 0, reason: `needs ${plural(d.gpus, 'GPU')} but the cluster has no GPUs (declare some with --gpus)` };
    }
    if (!machines.some((m) => gpuFits(d, m))) return explainGpu(d, machines);
  }
  const hosts = machines.filter((m) => gpuFits(d, m));
  const where = d.gpus > EPS ? 'on any machine with room on its GPUs' : 'on any machine';
  const mostCpus = Math.max(0, ...hosts.map((m) => m.spec.cpus - m.cpusUsed));
  if (mostCpus + EPS < d.cpus) {
    return { ...base, resource: 'cpus', needed: d.cpus, available: round(mostCpus), reason: `needs ${plural(d.cpus, 'CPU')}; at most ${fmt(mostCpus)} free ${where}` };
  }
  const withCpus = hosts.filter((m) => m.spec.cpus - m.cpusUsed + EPS >= d.cpus);
  const mostMem = Math.max(0, ...withCpus.map((m) => m.spec.memoryMb - m.memUsed));
  return {
    ...base,
    resource: 'memoryMb',
    needed: d.memoryMb,
    available: round(mostMem),
    reason: `needs ${d.memoryMb} MB of memory; at most ${fmt(mostMem)} MB free ${where}${d.cpus > EPS ? ` and ${plural(d.cpus, 'free CPU')}` : ''}`,
  };
}

/** The GPU part fits on no machine: too little share, too few whole GPUs, or too little GPU memory. */
function explainGpu(d: ReplicaDemand, machines: MachineState[]): Unplaced {
  const base = { replica: d.replica, node: d.node };
  const gpus = machines.flatMap((m) => m.gpus);
  if (d.gpus < 1 - EPS) {
    const mostShare = Math.max(0, ...gpus.map((g) => 1 - g.used));
    if (mostShare + EPS < d.gpus) {
      return { ...base, resource: 'gpus', needed: d.gpus, available: round(mostShare), reason: `needs ${fmt(d.gpus)} of a GPU; at most ${fmt(mostShare)} free on any GPU` };
    }
    const roomy = gpus.filter((g) => 1 - g.used + EPS >= d.gpus);
    const best = roomy.reduce((a, g) => (g.spec.memoryMb - g.memUsed > a.spec.memoryMb - a.memUsed ? g : a), roomy[0]);
    const free = best.spec.memoryMb - best.memUsed;
    const needed = gpuMem(d, best.spec, d.gpus);
    return { ...base, resource: 'gpuMemoryMb', needed, available: Math.round(free), reason: `needs ${Math.round(needed)} MB of GPU memory; at most ${Math.round(free)} MB free on a GPU with ${fmt(d.gpus)} of its share free` };
  }
  const n = Math.round(d.gpus);
  const mostFree = Math.max(0, ...machines.map((m) => m.gpus.filter((g) => g.used <= EPS).length));
  if (mostFree < n) {
    return { ...base, resource: 'gpus', needed: n, available: mostFree, reason: `needs ${plural(n, 'whole GPU')} on one machine; at most ${mostFree} free on any machine` };
  }
  // Enough free GPUs somewhere, but not n with the memory asked for on one machine.
  const needed = d.gpuMemoryMb ?? 0;
  const nthLargest = (m: MachineState) =>
    m.gpus
      .filter((g) => g.used <= EPS)
      .map((g) => g.spec.memoryMb - g.memUsed)
      .sort((a, b) => b - a)[n - 1] ?? 0;
  const available = Math.max(0, ...machines.map(nthLargest));
  return {
    ...base,
    resource: 'gpuMemoryMb',
    needed,
    available: Math.round(available),
    reason: `needs ${plural(n, 'whole GPU')} with ${needed} MB each on one machine; at most ${Math.round(available)} MB on the ${n === 1 ? 'largest' : `${n} largest`} free GPUs of any machine`,
  };
}

/** One demand per replica of every replica-backed node: at its initial count, or at its maximum. */
export function demandsFromPlan(plan: Plan, at: 'initial' | 'max' = 'initial'): ReplicaDemand[] {
  const out: ReplicaDemand[] = [];
  for (const id of plan.order) {
    const n = plan.nodes[id];
    if (n.runsIn !== 'replica') continue;
    const count = at === 'max' ? n.totals.maxReplicas : n.totals.replicas;
    const r = n.deployment.resources;
    for (let i = 0; i < count; i++) {
      out.push({ replica: `${id}#${i}`, node: id, cpus: r.cpus, gpus: r.gpus, memoryMb: n.memoryMb, ...(r.gpuMemoryMb !== undefined ? { gpuMemoryMb: r.gpuMemoryMb } : {}) });
    }
  }
  return out;
}

/** A one-machine cluster from command-line style numbers (declared GPUs are virtual). */
export function singleMachine(opts: { id?: string; cpus: number; memoryMb: number; gpus?: number; gpuMemoryMb?: number; virtualGpus?: boolean }): Cluster {
  const gpus = Array.from({ length: opts.gpus ?? 0 }, (_, index) => ({ index, memoryMb: opts.gpuMemoryMb ?? 16_000, virtual: opts.virtualGpus ?? true }));
  return { machines: [{ id: opts.id ?? 'local', cpus: opts.cpus, memoryMb: opts.memoryMb, gpus }] };
}

/** GPUs a one-model-per-GPU deployment would take: each GPU replica on its own card(s). */
export function gpusWithoutSharing(demands: readonly ReplicaDemand[]): number {
  return demands.reduce((s, d) => s + (d.gpus > 0 ? Math.ceil(d.gpus - EPS) : 0), 0);
}

/** Lower bound on GPUs for these demands: the sum of shares, rounded up. */
export function gpuLowerBound(demands: readonly ReplicaDemand[]): number {
  return Math.max(0, Math.ceil(demands.reduce((s, d) => s + d.gpus, 0) - EPS));
}
