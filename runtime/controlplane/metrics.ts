import { Gauge, Registry } from 'prom-client';
import type { AutoscalingStatus, NodeMetricsSnapshot, ReplicaState } from '../../shared/protocol.js';
import { REPLICA_STATES } from '../../shared/protocol.js';
import { type CounterSeries, type HistogramSeries, SeriesCounter, SeriesHistogram } from './metric-series.js';
import { MultiplexMetrics } from './multiplex-metrics.js';

/** What the metrics read from the live deployments when Prometheus scrapes. */
export interface MetricsSource {
  /** `version`: set on a release's candidate, whose series are its own. */
  nodes(): { graph: string; node: string; kind: string; version?: number; inFlight: number; queued: number; replicas: Record<ReplicaState, number>; autoscaling?: AutoscalingStatus }[];
  /** Replica worker threads alive now, every graph and version (retiring and failed ones until they exit). */
  replicaThreads?(): number;
  /** Each running release's share per version (controlplane/release/). */
  releaseShares?(): { graph: string; version: number; share: number }[];
}

const LATENCY_BUCKETS = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];
const WINDOW = 1024;

/** One node's metrics, held by its deployment: the data plane records a call without any lookup. */
export interface NodeMetrics {
  observe(ms: number, ok: boolean, batchSize?: number): void;
  /** A call dropped because its request ended first; started: a replica was running it (its result is discarded). */
  cancelled(started: boolean): void;
  /** Something the node itself counts (NodeContext.count), e.g. the embedder's truncated texts. */
  event(name: string, n: number): void;
}

interface Window {
  lat: Float64Array;
  n: number;
  requests: number;
  errors: number;
  batchSum: number;
  batches: number;
  cancelled: number;
  dropped: number;
  events: Record<string, number> | undefined;
}

/**
 * Prometheus metrics named after Ray Serve's (ray_serve_deployment_* ->
 * beamline_deployment_*), labelled graph/node/kind; one registry per server.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly latency: SeriesHistogram;
  private readonly requests: SeriesCounter;
  private readonly errors: SeriesCounter;
  private readonly batchSize: SeriesHistogram;
  private readonly httpLatency: SeriesHistogram;
  private readonly cancelledCalls: SeriesCounter;
  private readonly cancelledRequests: SeriesCounter;
  private readonly nodeEvents: SeriesCounter;
  /** Model multiplexing's loads, evictions, hits, misses and per-model latency (multiplex-metrics.ts). */
  readonly multiplex = new MultiplexMetrics(this.registry);
  private readonly releaseDecisions: SeriesCounter;
  private readonly shadowRequests: SeriesCounter;
  private readonly splitBranches: SeriesCounter;
  private readonly windows = new Map<string, Window>();
  /** httpLatency's series by graph and status, so observeRequest builds no key. */
  private readonly httpSeries = new Map<string, Map<number, HistogramSeries>>();

  constructor() {
    this.latency = new SeriesHistogram('beamline_deployment_processing_latency_ms', 'Time a node took per call, queue wait included (ms).', LATENCY_BUCKETS, this.registry);
    this.requests = new SeriesCounter('beamline_deployment_request_counter', 'Calls of a node that completed.', this.registry);
    this.errors = new SeriesCounter('beamline_deployment_error_counter', 'Calls of a node that failed.', this.registry);
    this.batchSize = new SeriesHistogram('beamline_batch_size', 'Requests per batch handed to a node.', [1, 2, 4, 8, 16, 32, 64, 128, 256], this.registry);
    this.httpLatency = new SeriesHistogram('beamline_http_request_latency_ms', 'End-to-end latency of graph requests (ms).', LATENCY_BUCKETS, this.registry);
    this.cancelledCalls = new SeriesCounter(
      'beamline_deployment_cancelled_counter',
      'Calls of a node dropped because their request ended first (client gone, timeout, another node failed): stage "queued" never ran, "running" ran and its result was discarded.',
      this.registry,
    );
    this.cancelledRequests = new SeriesCounter('beamline_cancelled_requests_counter', 'Graph requests whose client went away before the answer (HTTP connection closed, socket.io disconnect).', this.registry);
    this.nodeEvents = new SeriesCounter('beamline_node_events_counter', 'Events a node counts itself, by name (embedder: truncated, texts cut to the model\'s maximum length).', this.registry);
    this.releaseDecisions = new SeriesCounter('beamline_release_decisions_total', 'Release decisions by action (start, promote, complete, rollback, abort, hold).', this.registry);
    this.shadowRequests = new SeriesCounter('beamline_shadow_requests_total', 'Requests mirrored to a shadow candidate by outcome (agreed, differed, failed; skipped: the candidate had no room).', this.registry);
    this.splitBranches = new SeriesCounter('beamline_split_branch_total', 'Requests a split node sent down each branch (its live share).', this.registry);
  }

  private window(key: string): Window {
    let w = this.windows.get(key);
    if (!w) {
      w = { lat: new Float64Array(WINDOW), n: 0, requests: 0, errors: 0, batchSum: 0, batches: 0, cancelled: 0, dropped: 0, events: undefined };
      this.windows.set(key, w);
    }
    return w;
  }

  /**
   * The handle a deployment keeps per node; versions of one graph share its series, except a
   * release's candidate (`version`): its series carry a `version` label, so its calls do not
   * count in the stable version's figures (the stable's series keep their labels unchanged).
   */
  node(graph: string, node: string, kind: string, version?: number): NodeMetrics {
    const key = version === undefined ? `${graph}\0${node}\0${kind}` : `${candidateKey(graph, version)}${node}\0${kind}`;
    const labels: Record<string, string> = version === undefined ? { graph, node, kind } : { graph, node, kind, version: String(version) };
    const requests: CounterSeries = this.requests.at(key, labels);
    const errors: CounterSeries = this.errors.at(key, labels);
    const latency: HistogramSeries = this.latency.at(key, labels);
    const batch: HistogramSeries = this.batchSize.at(key, labels);
    const w = this.window(version === undefined ? `${graph}\0${node}` : `${candidateKey(graph, version)}${node}`);
    const hist = this.latency;
    const batches = this.batchSize;
    const cancelledCalls = this.cancelledCalls;
    const nodeEvents = this.nodeEvents;
    return {
      cancelled(started) {
        const stage = started ? 'running' : 'queued';
        cancelledCalls.at(`${key}\0${stage}`, { ...labels, stage }).value++;
        if (started) w.dropped++;
        else w.cancelled++;
      },
      event(name, n) {
        nodeEvents.at(`${key}\0${name}`, { ...labels, event: name }).value += n;
        w.events ??= {};
        w.events[name] = (w.events[name] ?? 0) + n;
      },
      observe(ms, ok, batchSize) {
        if (ok) {
          requests.value++;
          hist.observe(latency, ms);
          w.lat[w.n++ % WINDOW] = ms;
          w.requests++;
        } else {
          errors.value++;
          w.errors++;
        }
        if (batchSize !== undefined) {
          batches.observe(batch, batchSize);
          w.batchSum += batchSize;
          w.batches++;
        }
      },
    };
  }

  /** A split node's branch counter; versions of one graph share it, so it only grows across redeploys and weight changes. */
  splitBranch(graph: string, node: string, branch: string): CounterSeries {
    return this.splitBranches.at(`${graph}\0${node}\0${branch}`, { graph, node, branch });
  }

  releaseDecision(graph: string, action: string): void {
    this.releaseDecisions.at(`${graph}\0${action}`, { graph, action }).value++;
  }

  shadowRequest(graph: string, outcome: string): void {
    this.shadowRequests.at(`${graph}\0${outcome}`, { graph, outcome }).value++;
  }

  observeRequest(graph: string, status: number, ms: number): void {
    // Once per request: the series is found by two map reads, no key string or label object.
    let byStatus = this.httpSeries.get(graph);
    if (!byStatus) {
      byStatus = new Map();
      this.httpSeries.set(graph, byStatus);
    }
    let s = byStatus.get(status);
    if (!s) {
      s = this.httpLatency.at(`${graph}\0${status}`, { graph, status: String(status) });
      byStatus.set(status, s);
    }
    this.httpLatency.observe(s, ms);
    if (status === 499) this.cancelledRequests.at(`${graph}\0`, { graph }).value++;
  }

  /** Counts and recent percentiles for status pushes (the editor's live view); `version`: a release's candidate. */
  snapshot(graph: string, node: string, version?: number): NodeMetricsSnapshot {
    const w = this.windows.get(version === undefined ? `${graph}\0${node}` : `${candidateKey(graph, version)}${node}`);
    if (!w) return { requests: 0, errors: 0, p50Ms: null, p99Ms: null, batchSize: null, cancelled: 0, dropped: 0 };
    const lat = Array.from(w.lat.subarray(0, Math.min(w.n, WINDOW))).sort((a, b) => a - b);
    const pct = (p: number) => (lat.length ? Math.round(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] * 100) / 100 : null);
    return {
      requests: w.requests,
      errors: w.errors,
      p50Ms: pct(0.5),
      p99Ms: pct(0.99),
      batchSize: w.batches ? Math.round((w.batchSum / w.batches) * 100) / 100 : null,
      cancelled: w.cancelled,
      dropped: w.dropped,
      ...(w.events ? { events: { ...w.events } } : {}),
    };
  }

  /** A release's candidate ended (promoted or retired): its own series go; the stable series count on. */
  forgetCandidate(graph: string, version: number): void {
    const prefix = candidateKey(graph, version);
    for (const k of this.windows.keys()) if (k.startsWith(prefix)) this.windows.delete(k);
    for (const m of [this.requests, this.errors, this.latency, this.batchSize, this.cancelledCalls, this.nodeEvents]) m.drop(prefix);
  }

  forget(graph: string): void {
    for (const k of this.windows.keys()) if (k.startsWith(`${graph}\0`)) this.windows.delete(k);
    this.httpSeries.delete(graph);
    this.multiplex.forget(graph);
    for (const m of [this.requests, this.errors, this.latency, this.batchSize, this.httpLatency, this.cancelledCalls, this.cancelledRequests, this.nodeEvents, this.splitBranches, this.releaseDecisions, this.shadowRequests]) m.drop(`${graph}\0`);
  }
}

/** Key prefix of a candidate version's series (node ids start with a letter or _, never @). */
const candidateKey = (graph: string, version: number) => `${graph}\0@${version}\0`;

/**
 * The gauges Prometheus reads from the live deployments at scrape time: in-flight and
 * queued calls, replicas by state, autoscaling, replica threads. Registered once the
 * source exists (the controller is built with the Metrics it reports to).
 */
export function registerLiveMetrics(registry: Registry, source: MetricsSource): void {
  // `version` only on a release's candidate: the stable version's series keep their labels.
  const labelNames = ['graph', 'node', 'kind', 'version'] as const;
  const of = (n: ReturnType<MetricsSource['nodes']>[number]) => (n.version === undefined ? { graph: n.graph, node: n.node, kind: n.kind } : { graph: n.graph, node: n.node, kind: n.kind, version: String(n.version) });
  const r = [registry];
  new Gauge({
    name: 'beamline_num_ongoing_requests',
    help: 'Calls in flight on the replicas of a node.',
    labelNames,
    registers: r,
    collect() {
      this.reset();
      for (const n of source.nodes()) this.inc(of(n), n.inFlight);
    },
  });
  new Gauge({
    name: 'beamline_queued_requests',
    help: 'Calls waiting for a free replica.',
    labelNames,
    registers: r,
    collect() {
      this.reset();
      for (const n of source.nodes()) this.inc(of(n), n.queued);
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
          if (typeof v === 'number') this.set(of(n), v);
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
        if (d) this.set({ ...of(n), direction: d.to > d.from ? 'up' : 'down' }, d.at / 1000);
      }
    },
  });
  new Gauge({
    name: 'beamline_release_share',
    help: 'Percent of a graph\'s requests each version answers during a canary; shadow: 100 for stable, the mirrored percent for the candidate.',
    labelNames: ['graph', 'version'],
    registers: r,
    collect() {
      this.reset();
      for (const s of source.releaseShares?.() ?? []) this.set({ graph: s.graph, version: String(s.version) }, s.share);
    },
  });
  new Gauge({
    name: 'beamline_replica_threads',
    help: 'Replica worker threads alive in this server: started and not yet exited, whatever their state.',
    registers: r,
    collect() {
      this.set(source.replicaThreads?.() ?? 0);
    },
  });
  new Gauge({
    name: 'beamline_replicas',
    help: 'Replicas of a node by state.',
    labelNames: [...labelNames, 'state'],
    registers: r,
    collect() {
      this.reset();
      for (const n of source.nodes()) for (const state of REPLICA_STATES) this.inc({ ...of(n), state }, n.replicas[state]);
    },
  });
}
