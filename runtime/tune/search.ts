import type { Plan } from '../../shared/plan.js';
import { type Cluster, type PlacementResult, type ReplicaDemand, place, singleMachine } from '../../shared/placement.js';
import type { AutoscaleBounds, Binding, NodeProfile, NodeSetting, Prediction, Profile, Settings, TuneResources, TuneResult, TuneTarget } from '../../shared/tuning.js';
import { fmtFigure } from './format.js';
import { batchSlots, predict, replicaServers } from './model.js';

/**
 * The search (pure): greedy over per-node settings. Start every node at one replica without
 * batching; while the target is missed, take the single change (a replica more, or another batch
 * size and wait) that lowers the shortfall most per resource added and that the planner can place;
 * once met, take back every change the target can spare, cheapest resource first.
 * GPU shares stay as profiled: a share changes service time in ways only a profile at that share can
 * tell. A CPU share is a placement reservation (a replica's sessions run one intra-op thread), so
 * the descent may lower it towards what the replica is predicted to be busy (docs/tuning.md, Search).
 */

export interface TuneOptions {
  /** Most replicas tried per node (default 64). */
  maxReplicas?: number;
  /** Seed of the model's Monte Carlo. */
  seed?: number;
  /** Requests sampled end to end per evaluation (default 8000). */
  samples?: number;
  /** Batch waits tried, ms (default 1, 2, 5, 10, 20). */
  waits?: number[];
  /** CPUs the replicas really share, for the model's contention (default: the resources' CPUs; logical CPUs declared above the cores want the cores). */
  contentionCpus?: number;
}

const DEFAULT_WAITS = [1, 2, 5, 10, 20];
/** CPU reservations move in steps of CPU_STEP, never below CPU_FLOOR nor below CPU_HEADROOM x the replica's predicted busy CPUs. */
export const CPU_STEP = 0.25;
export const CPU_FLOOR = 0.25;
export const CPU_HEADROOM = 1.25;

/** The least CPU reservation a replica busy `busy` CPUs may have: busy with headroom, rounded up to a step, at least the floor. */
export function cpuFloor(busy: number): number {
  return Math.max(CPU_FLOOR, Math.ceil((busy * CPU_HEADROOM) / CPU_STEP - 1e-9) * CPU_STEP);
}
/** Memory of one machine given only CPU/GPU counts: not a constraint. */
const UNBOUNDED_MEMORY_MB = 1_000_000_000;

interface Candidate {
  settings: Settings;
  prediction: Prediction;
  placement: PlacementResult;
  cost: Cost;
}
interface Cost {
  gpus: number;
  gpuShares: number;
  cpus: number;
  replicas: number;
}

export function clusterOf(resources: TuneResources): Cluster {
  if ('cluster' in resources) return resources.cluster;
  return singleMachine({ cpus: resources.cpus, gpus: resources.gpus, memoryMb: resources.memoryMb ?? UNBOUNDED_MEMORY_MB, ...(resources.gpuMemoryMb !== undefined ? { gpuMemoryMb: resources.gpuMemoryMb } : {}) });
}

/** One demand per replica of the settings, at each node's profiled memory when larger than the plan's. */
export function demandsOf(plan: Plan, profile: Profile, settings: Settings): ReplicaDemand[] {
  const out: ReplicaDemand[] = [];
  for (const [id, s] of Object.entries(settings)) {
    const n = plan.nodes[id];
    const memoryMb = Math.max(n.memoryMb, profile.nodes[id]?.memoryMb ?? 0);
    const gpuMemoryMb = n.deployment.resources.gpuMemoryMb;
    for (let i = 0; i < s.numReplicas; i++) {
      out.push({ replica: `${id}#${i}`, node: id, cpus: s.cpus, gpus: s.gpus, memoryMb, ...(gpuMemoryMb !== undefined ? { gpuMemoryMb } : {}) });
    }
  }
  return out;
}

/** Concurrency per replica: the least measured level that reaches 95 % of the best speed-up measured. */
function bestConcurrency(np: NodeProfile, fallback: number): number {
  const levels = [...new Set(np.points.filter((p) => p.batch === 1).map((p) => p.concurrency))].sort((a, b) => a - b);
  if (!levels.length) return fallback;
  const best = Math.max(...levels.map((k) => replicaServers(np, k)));
  return levels.find((k) => replicaServers(np, k) >= 0.95 * best) ?? levels[0];
}

function batchSizes(np: NodeProfile): number[] {
  if (!np.batchable) return [1];
  return [...new Set(np.points.filter((p) => p.concurrency === 1).map((p) => p.batch))].sort((a, b) => a - b);
}

/** The starting point: one replica per node, no batching, shares as profiled. */
function minimal(plan: Plan, profile: Profile): Settings {
  const out: Settings = {};
  for (const id of plan.order) {
    const n = plan.nodes[id];
    if (n.runsIn !== 'replica') continue;
    const np = profile.nodes[id];
    const share = np?.measuredWith ?? n.deployment.resources;
    out[id] = { numReplicas: 1, maxBatchSize: 1, batchWaitMs: 0, maxOngoingRequests: np ? bestConcurrency(np, n.deployment.maxOngoingRequests) : n.deployment.maxOngoingRequests, cpus: share.cpus, gpus: share.gpus };
  }
  return out;
}

/** Every single change of one node's setting: a replica more or less, another batch size or wait. */
function moves(plan: Plan, profile: Profile, settings: Settings, waits: number[], maxReplicas: number, up: boolean): Settings[] {
  const out: Settings[] = [];
  for (const [id, s] of Object.entries(settings)) {
    const np = profile.nodes[id];
    const with_ = (t: Partial<NodeSetting>) => out.push({ ...settings, [id]: { ...s, ...t } });
    if (up && s.numReplicas < maxReplicas) with_({ numReplicas: s.numReplicas + 1 });
    if (!up && s.numReplicas > 1) with_({ numReplicas: s.numReplicas - 1 });
    // A smaller CPU reservation, one step down (to the step below when the share is not a multiple); evaluate() checks its floor.
    const lower = Math.round((Math.ceil(s.cpus / CPU_STEP - 1e-9) - 1) * CPU_STEP * 1000) / 1000;
    if (!up && lower >= CPU_FLOOR) with_({ cpus: lower });
    const slots = batchSlots(s);
    for (const b of batchSizes(np)) {
      if (b === 1) {
        if (s.maxBatchSize > 1) with_({ maxBatchSize: 1, batchWaitMs: 0, maxOngoingRequests: bestConcurrency(np, plan.nodes[id].deployment.maxOngoingRequests) });
        continue;
      }
      for (const w of waits) if (b !== s.maxBatchSize || w !== s.batchWaitMs) with_({ maxBatchSize: b, batchWaitMs: w, maxOngoingRequests: b * slots });
    }
  }
  return out;
}

const EPS = 1e-9;

function costOf(settings: Settings, placement: PlacementResult): Cost {
  let gpuShares = 0;
  let cpus = 0;
  let replicas = 0;
  for (const s of Object.values(settings)) {
    gpuShares += s.gpus * s.numReplicas;
    cpus += s.cpus * s.numReplicas;
    replicas += s.numReplicas;
  }
  // Rounded so sums of fractional shares print as they were written (0.1 x 3 = 0.3).
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { gpus: placement.gpusUsed, gpuShares: r(gpuShares), cpus: r(cpus), replicas };
}

/** Fewest GPUs, then GPU shares, then CPUs, then replicas, as one number (lower is cheaper). */
function scalarCost(c: Cost): number {
  return c.gpus * 1e9 + c.gpuShares * 1e6 + c.cpus * 1e3 + c.replicas;
}

/** How far a prediction is from the target: 0 when met; overload counts above any latency. */
function shortfall(p: Prediction, target: TuneTarget): number {
  const overload = Math.max(0, p.cpuUtilization ?? 0, ...Object.values(p.nodes).map((n) => n.utilization));
  if (overload >= 1 || !Number.isFinite(p.p99Ms)) return 1e12 * overload + 1e9;
  return Math.max(0, p.p99Ms - target.p99Ms);
}

/** The node and resource that limit a configuration. */
function bindings(c: Candidate, target: TuneTarget, refused: Binding[]): Binding[] {
  const nodes = Object.entries(c.prediction.nodes);
  if (!nodes.length) return refused;
  const [hot, hp] = nodes.reduce((a, b) => (b[1].utilization > a[1].utilization ? b : a));
  const [slow, sp] = nodes.reduce((a, b) => (b[1].p99Ms > a[1].p99Ms ? b : a));
  const out: Binding[] = [];
  if (hp.utilization >= 0.7) out.push({ node: hot, resource: 'throughput', why: `${pct(hp.utilization)} busy at ${fmt(hp.arrivalQps)} req/s of its ${fmt(hp.ceilingQps)} req/s ceiling` });
  const cpu = c.prediction.cpuUtilization ?? 0;
  if (cpu >= 0.7) {
    // The machine's CPUs, whatever the replicas: named by the node that keeps them busiest.
    const [top] = nodes.reduce((a, b) => ((b[1].busyCpus ?? 0) * c.settings[b[0]].numReplicas > (a[1].busyCpus ?? 0) * c.settings[a[0]].numReplicas ? b : a));
    out.push({ node: top, resource: 'cpus', why: `the CPUs are ${pct(cpu)} busy at ${fmt(c.prediction.qps)} req/s (most: ${fmt(c.prediction.ceilingQps)} req/s); ${top} takes the most CPU time` });
  }
  if (Number.isFinite(sp.p99Ms)) out.push({ node: slow, resource: 'latency', why: `the largest share of the end-to-end p99 (${fmt(sp.p99Ms)} ms of ${fmt(c.prediction.p99Ms)} ms; target ${fmt(target.p99Ms)} ms)` });
  return [...out, ...refused];
}

const pct = (x: number) => `${Math.round(x * 100)}%`;
const fmt = fmtFigure;

/** The configuration meeting the target with the fewest GPUs, then CPUs, that the planner places (pure). */
export function tune(plan: Plan, profile: Profile, target: TuneTarget, resources: TuneResources, opts: TuneOptions = {}): TuneResult {
  const t0 = performance.now();
  const cluster = clusterOf(resources);
  const waits = opts.waits ?? DEFAULT_WAITS;
  const maxReplicas = opts.maxReplicas ?? 64;
  const popts = { seed: opts.seed ?? 1, samples: opts.samples ?? 8000, cpus: opts.contentionCpus ?? cluster.machines.reduce((n, m) => n + m.cpus, 0) };
  let evaluated = 0;
  const refused = new Map<string, Binding>();
  const evaluate = (settings: Settings): Candidate | undefined => {
    const placement = place(demandsOf(plan, profile, settings), cluster);
    if (placement.unplaced.length) {
      const u = placement.unplaced[0];
      refused.set(u.node, { node: u.node, resource: u.resource, why: `another replica does not fit: ${u.reason}` });
      return undefined;
    }
    evaluated++;
    const prediction = predict(plan, profile, settings, target.qps, popts);
    // A reservation below the profiled share must still cover what the replica is predicted to be busy.
    for (const [id, s] of Object.entries(settings)) {
      const profiled = profile.nodes[id]?.measuredWith.cpus ?? s.cpus;
      if (s.cpus < profiled - EPS && s.cpus < cpuFloor(prediction.nodes[id]?.busyCpus ?? Number.POSITIVE_INFINITY) - EPS) return undefined;
    }
    return { settings, prediction, placement, cost: costOf(settings, placement) };
  };

  const start = evaluate(minimal(plan, profile));
  if (!start) {
    const placement = place(demandsOf(plan, profile, minimal(plan, profile)), cluster);
    return fail(target, `one replica of each node does not fit on the resources: ${placement.unplaced.map((u) => u.reason).join('; ')}`, Number.POSITIVE_INFINITY, 0, undefined, evaluated, t0, placement.unplaced);
  }
  // Climb: the change that cuts the shortfall most per unit of cost added.
  let cur = start;
  while (shortfall(cur.prediction, target) > 0) {
    const gap = shortfall(cur.prediction, target);
    let best: { c: Candidate; score: number } | undefined;
    for (const s of moves(plan, profile, cur.settings, waits, maxReplicas, true)) {
      const c = evaluate(s);
      if (!c) continue;
      const gain = gap - shortfall(c.prediction, target);
      if (gain <= EPS) continue;
      const score = gain / (Math.max(0, scalarCost(c.cost) - scalarCost(cur.cost)) + 1);
      if (!best || score > best.score) best = { c, score };
    }
    if (!best) break;
    cur = best.c;
  }
  if (shortfall(cur.prediction, target) > 0) {
    const ceiling = throughputCeiling(plan, profile, cluster, maxReplicas, popts);
    const bestP99 = Number.isFinite(cur.prediction.p99Ms) && Math.max(cur.prediction.cpuUtilization ?? 0, ...Object.values(cur.prediction.nodes).map((n) => n.utilization)) < 1 ? cur.prediction.p99Ms : Number.POSITIVE_INFINITY;
    const binds = bindings(cur, target, [...refused.values()]);
    const why = bestP99 === Number.POSITIVE_INFINITY ? `no placeable configuration keeps up with ${fmt(target.qps)} req/s (most: ${fmt(ceiling)} req/s)` : `the best placeable configuration reaches p99 ${fmt(bestP99)} ms at ${fmt(target.qps)} req/s`;
    return fail(target, `cannot meet p99 ≤ ${fmt(target.p99Ms)} ms at ${fmt(target.qps)} req/s on these resources: ${why}; ${binds.map((b) => `${b.node} (${b.resource}): ${b.why}`).join('; ')}`, bestP99, ceiling, { settings: cur.settings, prediction: cur.prediction, binds }, evaluated, t0);
  }
  // Descend: drop whatever the target can spare, the largest saving first.
  for (;;) {
    let best: Candidate | undefined;
    const all = [...moves(plan, profile, cur.settings, waits, maxReplicas, false), ...moves(plan, profile, cur.settings, waits, maxReplicas, true).filter((s) => sameReplicas(s, cur.settings))];
    for (const s of all) {
      const c = evaluate(s);
      if (!c || shortfall(c.prediction, target) > 0) continue;
      const cheaper = scalarCost(c.cost) < scalarCost(cur.cost) - EPS || (scalarCost(c.cost) <= scalarCost(cur.cost) + EPS && c.prediction.p99Ms < cur.prediction.p99Ms - 1e-6 && !best);
      if (!cheaper) continue;
      if (!best || scalarCost(c.cost) < scalarCost(best.cost)) best = c;
    }
    if (!best || scalarCost(best.cost) >= scalarCost(cur.cost) - EPS) break;
    cur = best;
  }
  const prediction = predict(plan, profile, cur.settings, target.qps, { ...popts, samples: 20_000 });
  const final = { ...cur, prediction };
  return {
    ok: true,
    target,
    settings: cur.settings,
    prediction,
    totals: { gpus: cur.cost.gpus, cpus: cur.cost.cpus, replicas: cur.cost.replicas },
    binds: bindings(final, target, [...refused.values()]),
    placement: cur.placement,
    evaluated,
    durationMs: performance.now() - t0,
  };
}

function sameReplicas(a: Settings, b: Settings): boolean {
  return Object.keys(a).every((id) => a[id].numReplicas === b[id].numReplicas);
}

function fail(target: TuneTarget, reason: string, bestP99Ms: number, ceilingQps: number, best: Extract<TuneResult, { ok: false }>['best'], evaluated: number, t0: number, unplaced?: Extract<TuneResult, { ok: false }>['unplaced']): TuneResult {
  return { ok: false, target, reason, bestP99Ms, ceilingQps, ...(best ? { best } : {}), ...(unplaced ? { unplaced } : {}), evaluated, durationMs: performance.now() - t0 };
}

/** Most req/s a placeable configuration sustains: add replicas (at the largest batch) to the node with the lowest ceiling until none fits. */
function throughputCeiling(plan: Plan, profile: Profile, cluster: Cluster, maxReplicas: number, popts: { seed: number; samples: number; cpus: number }): number {
  const settings = minimal(plan, profile);
  for (const [id, s] of Object.entries(settings)) {
    const b = Math.max(...batchSizes(profile.nodes[id]));
    if (b > 1) settings[id] = { ...s, maxBatchSize: b, batchWaitMs: DEFAULT_WAITS[DEFAULT_WAITS.length - 1], maxOngoingRequests: b * batchSlots(s) };
  }
  const ceilingOf = (s: Settings) => predict(plan, profile, s, 0, { ...popts, samples: 1 }).ceilingQps;
  if (place(demandsOf(plan, profile, settings), cluster).unplaced.length) return 0;
  for (;;) {
    const p = predict(plan, profile, settings, 0, { ...popts, samples: 1 });
    const order = Object.entries(p.nodes).sort((a, b) => a[1].ceilingQps / (profile.nodes[a[0]].reach || 1) - b[1].ceilingQps / (profile.nodes[b[0]].reach || 1));
    const id = order[0]?.[0];
    if (!id || settings[id].numReplicas >= maxReplicas) return p.ceilingQps;
    const next = { ...settings, [id]: { ...settings[id], numReplicas: settings[id].numReplicas + 1 } };
    if (place(demandsOf(plan, profile, next), cluster).unplaced.length || ceilingOf(next) <= p.ceilingQps) return p.ceilingQps;
    Object.assign(settings, next);
  }
}

/**
 * Autoscaling bounds for a traffic range: minReplicas from the configuration tuned at minQps,
 * maxReplicas from the one at maxQps (batching as at maxQps), and a target of ongoing requests per
 * replica from Little's law at maxQps. Throws when the high end cannot be met (its reason).
 */
export function autoscaleBounds(plan: Plan, profile: Profile, range: { minQps: number; maxQps: number; p99Ms: number }, resources: TuneResources, opts: TuneOptions = {}): AutoscaleBounds {
  const high = tune(plan, profile, { qps: range.maxQps, p99Ms: range.p99Ms }, resources, opts);
  if (!high.ok) throw new Error(high.reason);
  const low = tune(plan, profile, { qps: Math.max(range.minQps, 1e-6), p99Ms: range.p99Ms }, resources, opts);
  const nodes: AutoscaleBounds['nodes'] = {};
  for (const [id, s] of Object.entries(high.settings)) {
    const n = high.prediction.nodes[id];
    const minReplicas = low.ok ? Math.min(low.settings[id].numReplicas, s.numReplicas) : 1;
    const ongoing = (n.arrivalQps * (n.waitMs + n.p50Ms)) / 1000 / s.numReplicas;
    // Never above what a replica takes at once: the autoscaler could not reach a target past maxOngoingRequests.
    nodes[id] = { minReplicas, maxReplicas: s.numReplicas, targetOngoingRequests: Math.min(s.maxOngoingRequests, Math.max(1, Math.round(ongoing * 10) / 10)) };
  }
  return { minQps: range.minQps, maxQps: range.maxQps, nodes };
}
