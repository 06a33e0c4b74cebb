import type { Plan } from '../../shared/plan.js';
import { seededRandom } from '../../shared/random.js';
import type { NodePrediction, NodeProfile, NodeSetting, Prediction, ProfilePoint, Profile, ServiceStats, Settings } from '../../shared/tuning.js';

/**
 * The performance model (pure): per node a queue fed by Poisson arrivals, served by its
 * replicas as profiled; end to end a seeded Monte Carlo over the DAG. docs/tuning.md states
 * every assumption; the names below follow it.
 */

export interface PredictOptions {
  /** Seed of the Monte Carlo over the DAG (same seed, same figures). */
  seed?: number;
  /** Requests sampled end to end (default 20000). */
  samples?: number;
  /** CPUs the replicas share, for contention (default: the CPUs of the machine the profile was measured on). */
  cpus?: number;
}

/** One node's queue at one arrival rate: the figures and a sampler of the time a request spends there. */
export interface NodeModel {
  prediction: NodePrediction;
  /** Time at the node (wait + batch forming + service), ms, from uniform draws. */
  sample: (rand: () => number) => number;
}

const QUANTILES = [0, 0.5, 0.9, 0.99, 1] as const;

/**
 * Quantiles of a service time as an inverse CDF (piecewise linear through min, p50, p90, p99, and a
 * tail as long as p99 - p90 past p99, or to the slowest sample when that lies further).
 */
function quantileCurve(s: ServiceStats): number[] {
  const min = Math.max(0, Math.min(s.p50, s.min ?? s.p50 - (s.p90 - s.p50)));
  const max = Math.max(s.p99 + (s.p99 - s.p90), s.max ?? 0);
  return [min, s.p50, s.p90, s.p99, max];
}

function drawQuantile(curve: number[], u: number): number {
  for (let i = 1; i < QUANTILES.length; i++) {
    if (u <= QUANTILES[i]) {
      const f = (u - QUANTILES[i - 1]) / (QUANTILES[i] - QUANTILES[i - 1]);
      return curve[i - 1] + f * (curve[i] - curve[i - 1]);
    }
  }
  return curve[curve.length - 1];
}

function lerpStats(a: ServiceStats, b: ServiceStats, f: number): ServiceStats {
  const l = (x: number, y: number) => x + f * (y - x);
  const min = a.min !== undefined && b.min !== undefined ? { min: l(a.min, b.min) } : {};
  const max = a.max !== undefined && b.max !== undefined ? { max: l(a.max, b.max) } : {};
  return { p50: l(a.p50, b.p50), p90: l(a.p90, b.p90), p99: l(a.p99, b.p99), mean: l(a.mean, b.mean), std: l(a.std, b.std), ...min, ...max };
}

function scaleStats(s: ServiceStats, k: number): ServiceStats {
  return { p50: s.p50 * k, p90: s.p90 * k, p99: s.p99 * k, mean: s.mean * k, std: s.std * k, ...(s.min !== undefined ? { min: s.min * k } : {}), ...(s.max !== undefined ? { max: s.max * k } : {}) };
}

/**
 * Service time of one call of `batch` items at concurrency 1: interpolated linearly between the
 * profiled batch sizes; past the largest, extrapolated at the per-item cost of the last step.
 */
export function serviceAt(node: NodeProfile, batch: number): ServiceStats {
  const pts = node.points.filter((p) => p.concurrency === 1).sort((a, b) => a.batch - b.batch);
  if (!pts.length) throw new Error(`the profile of a ${node.kind} node has no point at concurrency 1`);
  if (batch <= pts[0].batch) return pts[0].serviceMs;
  for (let i = 1; i < pts.length; i++) {
    if (batch <= pts[i].batch) return lerpStats(pts[i - 1].serviceMs, pts[i].serviceMs, (batch - pts[i - 1].batch) / (pts[i].batch - pts[i - 1].batch));
  }
  const last = pts[pts.length - 1];
  const prev = pts.length > 1 ? pts[pts.length - 2] : undefined;
  const perItem = prev ? Math.max(0, (last.serviceMs.mean - prev.serviceMs.mean) / (last.batch - prev.batch)) : last.serviceMs.mean / last.batch;
  return scaleStats(last.serviceMs, (last.serviceMs.mean + perItem * (batch - last.batch)) / last.serviceMs.mean);
}

/**
 * A call's latency as a request sees it, for `batch` items: the profiled service time plus, per
 * quantile, the difference between what the node took inside whole-graph requests at low load and
 * its back-to-back batch-1 time (NodeProfile.inGraph): usually the hop from the executor and back
 * and waking an idle replica; negative where the in-graph step measured the node faster (a slow
 * node's few back-to-back calls still warming up). Capacity still follows serviceAt.
 */
export function latencyAt(node: NodeProfile, batch: number): ServiceStats {
  const svc = serviceAt(node, batch);
  const g = node.inGraph;
  if (!g) return svc;
  const base = serviceAt(node, 1);
  const at = (k: 'p50' | 'p90' | 'p99' | 'mean') => Math.max(0, svc[k] + g[k] - base[k]);
  const min = svc.min !== undefined && g.min !== undefined && base.min !== undefined ? { min: Math.max(0, svc.min + g.min - base.min) } : {};
  const max = g.max !== undefined ? { max: Math.max(at('p99'), svc.p99 + (g.max - base.p99)) } : {};
  return { p50: at('p50'), p90: at('p90'), p99: at('p99'), mean: at('mean'), std: g.std, ...min, ...max };
}

/**
 * Servers one replica is worth with `k` calls in flight: the measured speed-up of throughput at
 * concurrency k over concurrency 1 (batch 1), interpolated, never past the largest measured level,
 * never below 1 and never above k. A CPU-bound node on one thread measures ~1 whatever k is.
 */
export function replicaServers(node: NodeProfile, k: number): number {
  const pts = node.points.filter((p) => p.batch === 1).sort((a, b) => a.concurrency - b.concurrency);
  const base = pts.find((p) => p.concurrency === 1);
  if (!base || k <= 1) return 1;
  const speed = (p: ProfilePoint) => p.concurrency / p.serviceMs.mean / (1 / base.serviceMs.mean);
  let s = 1;
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1];
    const b = pts[i];
    if (k >= b.concurrency) s = speed(b);
    else if (k > a.concurrency) {
      s = speed(a) + ((k - a.concurrency) / (b.concurrency - a.concurrency)) * (speed(b) - speed(a));
      break;
    } else break;
  }
  return Math.min(k, Math.max(1, s));
}

/** Erlang C: probability an arrival waits in M/M/n with offered load a = λ/μ (< n). Linear in n between integers. */
export function erlangC(n: number, a: number): number {
  const lo = Math.max(1, Math.floor(n));
  if (n > lo) return erlangC(lo, a) + (n - lo) * (erlangC(lo + 1, a) - erlangC(lo, a));
  if (a >= n) return 1;
  // Erlang B by its recurrence (stable), then C from B.
  let b = 1;
  for (let i = 1; i <= n; i++) b = (a * b) / (i + a * b);
  const rho = a / n;
  return b / (1 - rho + rho * b);
}

/**
 * The model of one replica-backed node at arrival rate `lambda` (requests/s).
 *
 * Without batching: M/G/n with n = replicas x servers-per-replica and the profiled batch-1 service
 * time; the wait is Allen–Cunneen's (Erlang C scaled by (ca² + cs²)/2, ca² = 1 for Poisson),
 * exponential given that a request waits.
 * With batching: n = replicas x concurrent batches per replica, each batch slot collecting items.
 * The mean batch b solves b = clamp(max(1 + λ·w, λ·S(b)) / n ...) — items that arrive during the
 * wait, or during the batch ahead. An item spends the forming time (uniform up to the wait, or up to
 * one service when slots are busy) plus S(b); near the ceiling (full batches) an Allen–Cunneen wait
 * over batches of B is added.
 */
export function nodeModel(node: NodeProfile, s: NodeSetting, lambda: number, stretch = 1): NodeModel {
  const batching = node.batchable && s.maxBatchSize > 1;
  return batching ? batchingModel(node, s, lambda, stretch) : plainModel(node, s, lambda, stretch);
}

/** Mean items per batch at this rate: b = clamp(max(1 + λ·w, λ·S(b))) per batch slot (1 without batching). */
function meanBatch(node: NodeProfile, s: NodeSetting, lambda: number): number {
  if (!(node.batchable && s.maxBatchSize > 1)) return 1;
  const perSlot = lambda / (Math.max(1, s.numReplicas) * batchSlots(s)) / 1000;
  // A batch cannot hold more than the replica's ongoing requests per slot.
  const cap = Math.max(1, Math.min(s.maxBatchSize, Math.floor(s.maxOngoingRequests / batchSlots(s)) || 1));
  let b = 1;
  for (let i = 0; i < 50; i++) b = Math.min(cap, Math.max(1 + perSlot * s.batchWaitMs, perSlot * serviceAt(node, b).mean, 1));
  return b;
}

/**
 * CPU time per second a node's replicas spend serving `lambda` (all replicas together): calls per
 * second x the service time of a call, over the speed-up the profile measured at the replica's
 * concurrency (a call holds one CPU for its whole service time — onnxruntime sessions run one
 * intra-op thread — unless calls overlapped, which only calls waiting on something else can).
 */
export function busyCpus(node: NodeProfile, s: NodeSetting, lambda: number): number {
  const b = meanBatch(node, s, lambda);
  const measured = cpuAt(node, b);
  if (measured !== undefined) return ((lambda / b) * measured) / 1000;
  const overlap = b > 1 ? 1 : replicaServers(node, s.maxOngoingRequests);
  return ((lambda / b) * serviceAt(node, b).mean) / 1000 / overlap;
}

/** CPU ms of a call of `batch` items where the profile measured it (ProfilePoint.cpuMs), interpolated between batch sizes. */
function cpuAt(node: NodeProfile, batch: number): number | undefined {
  const pts = node.points.filter((p) => p.concurrency === 1 && p.cpuMs !== undefined).sort((a, b) => a.batch - b.batch);
  if (!pts.length) return undefined;
  if (batch <= pts[0].batch) return pts[0].cpuMs;
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1];
    const c = pts[i];
    if (batch <= c.batch) return a.cpuMs! + ((batch - a.batch) / (c.batch - a.batch)) * (c.cpuMs! - a.cpuMs!);
  }
  const last = pts[pts.length - 1];
  return (last.cpuMs! / last.batch) * batch;
}

/** CPU seconds per item at the node's cheapest: a full batch when it batches, else a call over the calls that overlap. */
function leastCpuPerItem(node: NodeProfile, s: NodeSetting): number {
  const B = node.batchable && s.maxBatchSize > 1 ? s.maxBatchSize : 1;
  const measured = cpuAt(node, B);
  if (measured !== undefined) return measured / B / 1000;
  if (node.batchable && s.maxBatchSize > 1) return serviceAt(node, s.maxBatchSize).mean / s.maxBatchSize / 1000;
  return serviceAt(node, 1).mean / replicaServers(node, s.maxOngoingRequests) / 1000;
}

function plainModel(node: NodeProfile, s: NodeSetting, lambda: number, stretch: number): NodeModel {
  const svc = serviceAt(node, 1);
  const n = Math.max(1, s.numReplicas) * replicaServers(node, s.maxOngoingRequests);
  const mu = 1000 / svc.mean;
  const ceiling = s.numReplicas > 0 ? n * mu : 0;
  const rho = ceiling > 0 ? lambda / ceiling : Number.POSITIVE_INFINITY;
  const cs2 = (svc.std / svc.mean) ** 2;
  const wait = queueWait(n, lambda, mu, 1, cs2);
  const curve = quantileCurve(latencyAt(node, 1));
  const sample = (rand: () => number) => drawQuantile(curve, rand()) * stretch + wait.draw(rand);
  return { prediction: summarise(lambda, rho, ceiling, 1, wait.meanMs, sample, busyCpus(node, s, lambda) / Math.max(1, s.numReplicas)), sample };
}

function batchingModel(node: NodeProfile, s: NodeSetting, lambda: number, stretch: number): NodeModel {
  const B = s.maxBatchSize;
  const slots = Math.max(1, s.numReplicas) * batchSlots(s);
  const perSlot = lambda / slots / 1000; // items per ms per slot
  const full = serviceAt(node, B);
  const ceiling = s.numReplicas > 0 ? (slots * B * 1000) / full.mean : 0;
  const rho = ceiling > 0 ? lambda / ceiling : Number.POSITIVE_INFINITY;
  const b = meanBatch(node, s, lambda);
  const svc = serviceAt(node, b);
  // Busy slots: an item waits for the batch ahead (up to one service); idle: up to the batch wait.
  const busy = perSlot * svc.mean >= 1 + perSlot * s.batchWaitMs;
  // Idle slots: the first item of a batch waits the whole timeout (1 in b items), the others part of it.
  const form = (rand: () => number) => (busy ? rand() * svc.mean : rand() < 1 / b ? s.batchWaitMs : rand() * s.batchWaitMs);
  // Near the ceiling whole batches of B queue for the slots.
  const wait = rho < 1 ? queueWait(slots, lambda / B, 1000 / full.mean, 1 / B, (full.std / full.mean) ** 2) : infiniteWait;
  const curve = quantileCurve(latencyAt(node, b));
  const sample = (rand: () => number) => form(rand) + drawQuantile(curve, rand()) * stretch + wait.draw(rand);
  return { prediction: summarise(lambda, rho, ceiling, b, wait.meanMs, sample, busyCpus(node, s, lambda) / Math.max(1, s.numReplicas)), sample };
}

/** Batches a replica runs at once (runtime/dataplane/replicas/batching.ts concurrentBatches): one per whole CPU, one on a GPU. */
export function batchSlots(s: Pick<NodeSetting, 'cpus' | 'gpus'>): number {
  return s.gpus > 0 ? 1 : Math.max(1, Math.floor(s.cpus));
}

const infiniteWait = { meanMs: Number.POSITIVE_INFINITY, draw: () => Number.POSITIVE_INFINITY };

/** Allen–Cunneen wait in G/G/n: mean, and a draw (0 with probability 1 - C, else exponential). */
function queueWait(n: number, lambda: number, mu: number, ca2: number, cs2: number): { meanMs: number; draw: (rand: () => number) => number } {
  if (lambda <= 0) return { meanMs: 0, draw: () => 0 };
  const a = lambda / mu;
  if (a >= n) return infiniteWait;
  const c = erlangC(n, a);
  const meanS = ((c / (n * mu - lambda)) * (ca2 + cs2)) / 2;
  const meanMs = meanS * 1000;
  const condMean = c > 0 ? meanMs / c : 0;
  return { meanMs, draw: (rand) => (rand() < c ? -Math.log(1 - rand()) * condMean : 0) };
}

function summarise(lambda: number, rho: number, ceiling: number, meanBatch: number, waitMs: number, sample: (rand: () => number) => number, busy: number): NodePrediction {
  const rand = seededRandom(7);
  const xs = Array.from({ length: 4000 }, () => sample(rand)).sort((a, b) => a - b);
  return { arrivalQps: lambda, utilization: rho, ceilingQps: ceiling, meanBatch, p50Ms: quantile(xs, 0.5), p99Ms: quantile(xs, 0.99), waitMs, busyCpus: busy };
}

/** Busy CPUs over the machine's CPUs is capped here: past it the stretch would say more than the model knows. */
const MAX_CPU_SHARE = 0.9;

/**
 * CPU contention: a node's call finds the machine's CPUs busy with the other replicas and the
 * request path for a share ρ of the time and is slowed as in processor sharing, 1 / (1 - ρ), with
 * ρ = the busy CPUs at this rate over the CPUs the replicas share (the tune's cluster; by default
 * the machine the profile was measured on).
 */
export function cpuStretch(busy: number, cpus: number): number {
  return 1 / (1 - Math.min(MAX_CPU_SHARE, busy / Math.max(1, cpus)));
}

export function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Predicted per-node and end-to-end figures of `settings` at `qps` (pure; the same seed gives the same figures). */
export function predict(plan: Plan, profile: Profile, settings: Settings, qps: number, opts: PredictOptions = {}): Prediction {
  const assumptions: string[] = [];
  const models = new Map<string, NodeModel>();
  const nodes: Record<string, NodePrediction> = {};
  const replicaIds = plan.order.filter((id) => plan.nodes[id].runsIn === 'replica');
  for (const id of replicaIds) {
    if (!profile.nodes[id]) throw new Error(`node ${id} has no profile`);
    if (!settings[id]) throw new Error(`node ${id} has no setting`);
  }
  const reachOf = (id: string) => (profile.nodes[id].reach > 0 ? profile.nodes[id].reach : 1);
  // Every replica's work and the request path's share the machine's CPUs. A GPU node's service is
  // CPU time only where the profile ran it on the CPU (no GPU detected: declared GPUs).
  const overhead = profile.inGraph?.overheadMs;
  const onCpu = replicaIds.filter((id) => settings[id].gpus === 0 || profile.machine.gpus === 0);
  const cpus = opts.cpus ?? profile.machine.cpus;
  const busy = onCpu.reduce((sum, id) => sum + busyCpus(profile.nodes[id], settings[id], qps * reachOf(id)), 0) + (qps * (overhead?.mean ?? 0)) / 1000;
  const stretch = cpuStretch(busy, cpus);
  // However many replicas are placed, the CPUs bound the rate: CPU time per request at its least (full batches).
  const cpuPerRequest = onCpu.reduce((sum, id) => sum + reachOf(id) * leastCpuPerItem(profile.nodes[id], settings[id]), 0) + (overhead?.mean ?? 0) / 1000;
  let ceilingQps = cpuPerRequest > 0 ? cpus / cpuPerRequest : Number.POSITIVE_INFINITY;
  for (const id of replicaIds) {
    const np = profile.nodes[id];
    const s = settings[id];
    const reach = reachOf(id);
    const m = nodeModel(np, s, qps * reach, stretch);
    models.set(id, m);
    nodes[id] = m.prediction;
    ceilingQps = Math.min(ceilingQps, m.prediction.ceilingQps / reach);
  }
  const branchy = plan.order.filter((id) => plan.nodes[id].kind === 'switch' || plan.nodes[id].kind === 'split');
  if (branchy.length) {
    const known = plan.order.some((id) => profile.nodes[id] && profile.nodes[id].reach < 1);
    assumptions.push(
      known
        ? `branches after ${branchy.join(', ')} are taken in the shares the profile's inputs took them (independently per branch)`
        : `every branch after ${branchy.join(', ')} is assumed taken (the profile's inputs took them all)`,
    );
  }
  if (!overhead) assumptions.push('the profile has no request-path measurement (measured before profiles recorded it): HTTP, the executor and the hops between nodes count as zero; profile again to include them');
  const path = overhead ? quantileCurve(overhead) : undefined;
  const pathDraw = path ? (rand: () => number) => drawQuantile(path, rand()) * stretch : () => 0;
  const e2e = monteCarlo(plan, profile, models, pathDraw, opts.seed ?? 1, opts.samples ?? 20_000);
  return { qps, nodes, p50Ms: e2e.p50, p99Ms: e2e.p99, ceilingQps, criticalPath: e2e.critical, assumptions, cpuStretch: stretch, cpuUtilization: busy / Math.max(1, cpus) };
}

/** End to end: each sampled request starts a node at the latest finish of its inputs (joins wait for all). */
function monteCarlo(plan: Plan, profile: Profile, models: Map<string, NodeModel>, path: (rand: () => number) => number, seed: number, samples: number) {
  const rand = seededRandom(seed);
  const idx = new Map(plan.order.map((id, i) => [id, i]));
  const ups = plan.order.map((id) => plan.nodes[id].upstream.map((u) => idx.get(u)!));
  const finish = new Float64Array(plan.order.length);
  const from = new Int32Array(plan.order.length);
  const outs = plan.outputNodes.map((o) => idx.get(o)!);
  const totals: number[] = [];
  const onPath = new Map<string, number>();
  for (let r = 0; r < samples; r++) {
    for (let i = 0; i < plan.order.length; i++) {
      let start = 0;
      from[i] = -1;
      for (const u of ups[i]) {
        if (finish[u] >= start) {
          start = finish[u];
          from[i] = u;
        }
      }
      const id = plan.order[i];
      const m = models.get(id);
      const reach = profile.nodes[id]?.reach ?? 1;
      finish[i] = start + (m && (reach >= 1 || rand() < reach) ? m.sample(rand) : 0);
    }
    let last = outs[0];
    for (const o of outs) if (finish[o] > finish[last]) last = o;
    // The request path outside the nodes (HTTP, executor, hops), one draw per request.
    totals.push(finish[last] + path(rand));
    for (let i = last; i >= 0; i = from[i]) {
      const id = plan.order[i];
      if (models.has(id)) onPath.set(id, (onPath.get(id) ?? 0) + 1);
    }
  }
  totals.sort((a, b) => a - b);
  const critical = [...onPath].map(([node, c]) => ({ node, share: c / samples })).sort((a, b) => b.share - a.share);
  return { p50: quantile(totals, 0.5), p99: quantile(totals, 0.99), critical };
}
