/**
 * One row per graph for the Deployments view: replicas, requests/s, p50/p99 and
 * errors over the last ~10 s, the nodes that are failing and the replicas that
 * wait for resources. Rates come from sampling the cumulative counters once a
 * second (nothing is added to the request path).
 */
import type { GraphStatus, GraphSummary } from '../../../shared/protocol.js';
import type { GraphDeployment } from '../deployment.js';
import type { Metrics } from '../metrics.js';

export const SUMMARY_WINDOW_MS = 10_000;
const SAMPLE_MS = 1000;
const HTTP_LATENCY = 'beamline_http_request_latency_ms';

interface Sample {
  at: number;
  requests: number;
  errors: number;
  /** Cumulative count per latency bucket upper bound (ms); the last is +Inf. */
  buckets: number[];
  /** Per node: [successes, failures], cumulative. */
  nodes: Map<string, [number, number]>;
}

interface Totals {
  requests: number;
  errors: number;
  bounds: number[];
  buckets: number[];
}

/** Cumulative request counts and latency buckets per graph, summed over HTTP status. */
async function httpTotals(metrics: Metrics): Promise<Map<string, Totals>> {
  const out = new Map<string, Totals>();
  const metric = metrics.registry.getSingleMetric(HTTP_LATENCY);
  if (!metric) return out;
  const { values } = await metric.get();
  for (const v of values) {
    const graph = String(v.labels.graph);
    let t = out.get(graph);
    if (!t) {
      t = { requests: 0, errors: 0, bounds: [], buckets: [] };
      out.set(graph, t);
    }
    const name = (v as { metricName?: string }).metricName ?? '';
    if (name.endsWith('_count')) {
      t.requests += v.value;
      if (Number(v.labels.status) >= 500) t.errors += v.value;
    } else if (name.endsWith('_bucket')) {
      const le = v.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(v.labels.le);
      let i = t.bounds.indexOf(le);
      if (i < 0) {
        t.bounds.push(le);
        t.buckets.push(0);
        i = t.bounds.length - 1;
      }
      t.buckets[i] += v.value;
    }
  }
  return out;
}

/** The q-quantile of the observations between two cumulative bucket snapshots, interpolated inside its bucket. */
export function bucketQuantile(bounds: readonly number[], from: readonly number[], to: readonly number[], q: number): number | null {
  const counts = to.map((c, i) => c - (from[i] ?? 0));
  const total = counts.at(-1) ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if (counts[i] < rank) continue;
    const lo = i === 0 ? 0 : bounds[i - 1];
    const hi = bounds[i];
    if (!Number.isFinite(hi)) return lo;
    const below = i === 0 ? 0 : counts[i - 1];
    const inBucket = counts[i] - below;
    const f = inBucket > 0 ? (rank - below) / inBucket : 1;
    return Math.round((lo + (hi - lo) * f) * 100) / 100;
  }
  return null;
}

export class RequestRates {
  private readonly samples = new Map<string, Sample[]>();
  private readonly timer: NodeJS.Timeout;
  private bounds: number[] = [];

  constructor(
    private readonly metrics: Metrics,
    private readonly graphs: () => GraphDeployment[],
  ) {
    this.timer = setInterval(() => void this.sample().catch(() => {}), SAMPLE_MS);
    this.timer.unref();
  }

  private async read(): Promise<Map<string, Sample>> {
    const at = Date.now();
    const totals = await httpTotals(this.metrics);
    const out = new Map<string, Sample>();
    for (const dep of this.graphs()) {
      const t = totals.get(dep.name);
      if (t && t.bounds.length > this.bounds.length) this.bounds = t.bounds;
      const nodes = new Map<string, [number, number]>();
      for (const id of dep.pools.keys()) {
        const m = this.metrics.snapshot(dep.name, id);
        nodes.set(id, [m.requests, m.errors]);
      }
      out.set(dep.name, { at, requests: t?.requests ?? 0, errors: t?.errors ?? 0, buckets: t?.buckets ?? [], nodes });
    }
    return out;
  }

  private async sample(): Promise<void> {
    const now = await this.read();
    for (const name of this.samples.keys()) if (!now.has(name)) this.samples.delete(name);
    for (const [name, s] of now) {
      const list = this.samples.get(name) ?? [];
      list.push(s);
      while (list.length > 1 && list[1].at <= s.at - SUMMARY_WINDOW_MS) list.shift();
      this.samples.set(name, list);
    }
  }

  /** Summaries of the given deployments, measured from the oldest sample in the window to now. */
  async summaries(deps: readonly GraphDeployment[]): Promise<Map<string, Pick<GraphSummary, 'requestsPerSec' | 'p50Ms' | 'p99Ms' | 'errors' | 'errorRate'> & { nodeFailures: Map<string, number> }>> {
    const now = await this.read();
    const out = new Map();
    for (const dep of deps) {
      const cur = now.get(dep.name);
      const base = this.samples.get(dep.name)?.[0];
      if (!cur || !base || cur.at - base.at < 1) {
        out.set(dep.name, { requestsPerSec: 0, p50Ms: null, p99Ms: null, errors: 0, errorRate: 0, nodeFailures: new Map() });
        continue;
      }
      const requests = cur.requests - base.requests;
      const errors = cur.errors - base.errors;
      const seconds = (cur.at - base.at) / 1000;
      const nodeFailures = new Map<string, number>();
      for (const [id, [ok, failed]] of cur.nodes) {
        const [ok0, failed0] = base.nodes.get(id) ?? [0, 0];
        // Every call of the node in the window failed.
        if (failed - failed0 > 0 && ok - ok0 === 0) nodeFailures.set(id, failed - failed0);
      }
      out.set(dep.name, {
        requestsPerSec: Math.round((requests / seconds) * 100) / 100,
        p50Ms: bucketQuantile(this.bounds, base.buckets, cur.buckets, 0.5),
        p99Ms: bucketQuantile(this.bounds, base.buckets, cur.buckets, 0.99),
        errors,
        errorRate: requests > 0 ? Math.round((errors / requests) * 10_000) / 10_000 : 0,
        nodeFailures,
      });
    }
    return out;
  }

  close(): void {
    clearInterval(this.timer);
  }
}

/** Replica counts, failing nodes and PENDING replicas of one graph's status. */
export function replicaSummary(status: GraphStatus, desiredOf: (node: string) => number, nodeFailures: ReadonlyMap<string, number>): Pick<GraphSummary, 'replicas' | 'failing' | 'pending'> {
  let running = 0;
  let desired = 0;
  let pendingCount = 0;
  const failing: GraphSummary['failing'] = [];
  const pending: GraphSummary['pending'] = [];
  for (const n of Object.values(status.nodes)) {
    if (n.runsIn !== 'replica') continue;
    desired += desiredOf(n.id);
    const reasons: string[] = [];
    if (n.error) reasons.push(n.error);
    for (const r of n.replicas) {
      if (r.state === 'RUNNING') running++;
      if (r.state === 'PENDING') {
        pendingCount++;
        pending.push({ node: n.id, replica: r.id, reason: r.reason ?? 'waiting for resources' });
      }
      if (r.state === 'UNHEALTHY') reasons.push(`replica ${r.id} is unhealthy${r.reason ? `: ${r.reason}` : ''}`);
      else if (r.state === 'STARTING' && r.restarts > 0) reasons.push(`replica ${r.id} is being replaced (restart ${r.restarts})${r.reason ? `: ${r.reason}` : ''}`);
    }
    const failed = nodeFailures.get(n.id);
    if (failed) reasons.push(`every call in the last ${SUMMARY_WINDOW_MS / 1000} s failed (${failed})`);
    if (reasons.length) failing.push({ node: n.id, reason: [...new Set(reasons)].join('; ') });
  }
  return { replicas: { running, desired, pending: pendingCount }, failing, pending };
}
