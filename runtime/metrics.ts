import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AutoscalingStatus, NodeMetricsSnapshot, ReplicaState } from '../shared/protocol.js';
import { REPLICA_STATES } from '../shared/protocol.js';

/** What the metrics read from the live deployments when Prometheus scrapes. */
export interface MetricsSource {
  nodes(): { graph: string; node: string; kind: string; inFlight: number; queued: number; replicas: Record<ReplicaState, number>; autoscaling?: AutoscalingStatus }[];
}

const LATENCY_BUCKETS = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];
const WINDOW = 1024;

/**
 * Prometheus metrics named after Ray Serve's (ray_serve_deployment_* ->
 * beamline_deployment_*), labelled graph/node/kind; one registry per server.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly latency: Histogram<'graph' | 'node' | 'kind'>;
  private readonly requests: Counter<'graph' | 'node' | 'kind'>;
  private readonly errors: Counter<'graph' | 'node' | 'kind'>;
  private readonly batchSize: Histogram<'graph' | 'node' | 'kind'>;
  private readonly httpLatency: Histogram<'graph' | 'status'>;
  private readonly windows = new Map<string, { lat: Float64Array; n: number; requests: number; errors: number; batchSum: number; batches: number }>();

  constructor(source: MetricsSource) {
    const labelNames = ['graph', 'node', 'kind'] as const;
    const r = [this.registry];
    this.latency = new Histogram({ name: 'beamline_deployment_processing_latency_ms', help: 'Time a node took per call, queue wait included (ms).', labelNames, buckets: LATENCY_BUCKETS, registers: r });
    this.requests = new Counter({ name: 'beamline_deployment_request_counter', help: 'Calls of a node that completed.', labelNames, registers: r });
    this.errors = new Counter({ name: 'beamline_deployment_error_counter', help: 'Calls of a node that failed.', labelNames, registers: r });
    this.batchSize = new Histogram({ name: 'beamline_batch_size', help: 'Requests per batch handed to a node.', labelNames, buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256], registers: r });
    this.httpLatency = new Histogram({ name: 'beamline_http_request_latency_ms', help: 'End-to-end latency of graph requests (ms).', labelNames: ['graph', 'status'], buckets: LATENCY_BUCKETS, registers: r });
    new Gauge({
      name: 'beamline_num_ongoing_requests',
      help: 'Calls in flight on the replicas of a node.',
      labelNames,
      registers: r,
      collect() {
        this.reset();
        for (const n of source.nodes()) this.inc({ graph: n.graph, node: n.node, kind: n.kind }, n.inFlight);
      },
    });
    new Gauge({
      name: 'beamline_queued_requests',
      help: 'Calls waiting for a free replica.',
      labelNames,
      registers: r,
      collect() {
        this.reset();
        for (const n of source.nodes()) this.inc({ graph: n.graph, node: n.node, kind: n.kind }, n.queued);
      },
    });
    // Autoscaling, after Ray's ray_serve_autoscaling_{target,desired}_replicas: the reason's text is in
    // the status; here the last decision is a timestamp labelled with its direction.
    const scaled = (name: string, help: string, value: (a: AutoscalingStatus) => number | null | undefined) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers: r,
        collect() {
          this.reset();
          for (const n of source.nodes()) {
            const v = n.autoscaling && value(n.autoscaling);
            if (typeof v === 'number') this.set({ graph: n.graph, node: n.node, kind: n.kind }, v);
          }
        },
      });
    scaled('beamline_autoscaling_current_replicas', 'RUNNING replicas of an autoscaled node.', (a) => a.current);
    scaled('beamline_autoscaling_desired_replicas', 'Replicas the load asks for now: ceil(ongoing / targetOngoingRequests) within [min, max].', (a) => a.desired);
    scaled('beamline_autoscaling_target_replicas', 'Replicas the autoscaler has told the pool to reach.', (a) => a.target);
    scaled('beamline_autoscaling_total_requests', 'Ongoing requests (in flight + queued) averaged over lookBackPeriodMs.', (a) => a.averageOngoing);
    new Gauge({
      name: 'beamline_autoscaling_last_decision_timestamp_seconds',
      help: 'When the autoscaler last changed the target, labelled up or down.',
      labelNames: [...labelNames, 'direction'],
      registers: r,
      collect() {
        this.reset();
        for (const n of source.nodes()) {
          const d = n.autoscaling?.lastDecision;
          if (d) this.set({ graph: n.graph, node: n.node, kind: n.kind, direction: d.to > d.from ? 'up' : 'down' }, d.at / 1000);
        }
      },
    });
    new Gauge({
      name: 'beamline_replicas',
      help: 'Replicas of a node by state.',
      labelNames: [...labelNames, 'state'],
      registers: r,
      collect() {
        this.reset();
        for (const n of source.nodes()) for (const state of REPLICA_STATES) this.inc({ graph: n.graph, node: n.node, kind: n.kind, state }, n.replicas[state]);
      },
    });
  }

  private window(key: string) {
    let w = this.windows.get(key);
    if (!w) {
      w = { lat: new Float64Array(WINDOW), n: 0, requests: 0, errors: 0, batchSum: 0, batches: 0 };
      this.windows.set(key, w);
    }
    return w;
  }

  // Label-bound children, made once per series: prom-client hashes the label object on every
  // observe() otherwise, and this runs per node per request.
  private readonly children = new Map<string, { requests: { inc(): void }; errors: { inc(): void }; latency: { observe(v: number): void }; batch: { observe(v: number): void } }>();
  private readonly requestChildren = new Map<string, { observe(v: number): void }>();

  private child(graph: string, node: string, kind: string) {
    const key = `${graph}\0${node}\0${kind}`;
    let c = this.children.get(key);
    if (!c) {
      const labels = { graph, node, kind };
      c = { requests: this.requests.labels(labels), errors: this.errors.labels(labels), latency: this.latency.labels(labels), batch: this.batchSize.labels(labels) };
      this.children.set(key, c);
    }
    return c;
  }

  observeNode(graph: string, node: string, kind: string, ms: number, ok: boolean, batchSize?: number): void {
    const c = this.child(graph, node, kind);
    const w = this.window(`${graph}\0${node}`);
    if (ok) {
      c.requests.inc();
      c.latency.observe(ms);
      w.lat[w.n++ % WINDOW] = ms;
      w.requests++;
    } else {
      c.errors.inc();
      w.errors++;
    }
    if (batchSize !== undefined) {
      c.batch.observe(batchSize);
      w.batchSum += batchSize;
      w.batches++;
    }
  }

  observeRequest(graph: string, status: number, ms: number): void {
    const key = `${graph}\0${status}`;
    let c = this.requestChildren.get(key);
    if (!c) {
      c = this.httpLatency.labels({ graph, status: String(status) });
      this.requestChildren.set(key, c);
    }
    c.observe(ms);
  }

  /** Counts and recent percentiles for status pushes (the editor's live view). */
  snapshot(graph: string, node: string): NodeMetricsSnapshot {
    const w = this.windows.get(`${graph}\0${node}`);
    if (!w) return { requests: 0, errors: 0, p50Ms: null, p99Ms: null, batchSize: null };
    const lat = Array.from(w.lat.subarray(0, Math.min(w.n, WINDOW))).sort((a, b) => a - b);
    const pct = (p: number) => (lat.length ? Math.round(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] * 100) / 100 : null);
    return { requests: w.requests, errors: w.errors, p50Ms: pct(0.5), p99Ms: pct(0.99), batchSize: w.batches ? Math.round((w.batchSum / w.batches) * 100) / 100 : null };
  }

  forget(graph: string): void {
    for (const k of this.windows.keys()) if (k.startsWith(`${graph}\0`)) this.windows.delete(k);
    for (const k of this.children.keys()) if (k.startsWith(`${graph}\0`)) this.children.delete(k);
    for (const k of this.requestChildren.keys()) if (k.startsWith(`${graph}\0`)) this.requestChildren.delete(k);
  }
}
