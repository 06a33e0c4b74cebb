import type { Plan, PlanNode } from '../../shared/plan.js';
import type { GraphState, GraphStatus, NodeStatus } from '../../shared/protocol.js';
import { RequestError } from '../dataplane/errors.js';
import { countSplit, splitBranches } from '../dataplane/inline/index.js';
import type { ServedGraph } from '../dataplane/interface.js';
import type { ThreadCount } from '../dataplane/replicas/replica.js';
import { Router } from '../dataplane/router.js';
import type { SecretPolicy } from '../security/secret-policy.js';
import { Autoscaler } from './autoscaler.js';
import type { ClusterLedger } from './cluster.js';
import type { Metrics, NodeMetrics } from './metrics.js';
import type { Release } from './release/release.js';
import { ReplicaPool } from './pool.js';

/** What every version of every graph is started with (the controller's options, less its own). */
export interface DeploymentOptions {
  ledger: ClusterLedger;
  metrics: Metrics;
  /** Custom kind modules (file URLs) the workers import. */
  modules: string[];
  /** Directories `custom` nodes may load modules from (serve --allow-custom); none: custom code is off. */
  moduleDirs?: string[];
  /** Secret env vars replicas may read and where they may send them; absent: BEAMLINE_SECRET_* only, anywhere. */
  secrets?: SecretPolicy;
  dataDir: string;
  modelsDir: string;
  /** Counts replica threads alive (beamline_replica_threads); one per server. */
  threads?: ThreadCount;
  log: (message: string) => void;
}

/**
 * One version of a deployed graph: its plan and a pool + router per
 * replica-backed node. The data plane serves it as a ServedGraph.
 */
export class GraphDeployment implements ServedGraph {
  readonly pools = new Map<string, ReplicaPool>();
  readonly routers = new Map<string, Router>();
  /** Nodes with `autoscaling`: the autoscaler drives their pool's scale (controlplane/autoscaler.ts). */
  readonly autoscalers = new Map<string, Autoscaler>();
  readonly deployedAt = Date.now();
  private readonly changeListeners = new Set<() => void>();
  private readonly nodeMetrics = new Map<string, NodeMetrics>();
  draining = false;
  /** Set while a canary or shadow release shares this version's route (controlplane/release/). */
  release: Release | undefined = undefined;
  /** Set while this version is a release's candidate: its node series carry `version` (metrics.ts). */
  private ownSeries: number | undefined = undefined;

  constructor(
    readonly plan: Plan,
    /** The stored version serving; a live weight change (reconfigureInline) records a new one without a new deployment. */
    public version: number,
    private readonly opts: DeploymentOptions,
    nextReplicaId: () => string,
    graphDir: string | undefined,
    capacityComing?: () => boolean,
  ) {
    for (const id of plan.order) {
      const node = plan.nodes[id];
      if (node.kind === 'split') this.countBranches(node);
      if (node.runsIn !== 'replica') continue;
      const pool = new ReplicaPool({
        graph: plan.name,
        node,
        ledger: opts.ledger,
        modules: opts.modules,
        ...(opts.moduleDirs ? { moduleDirs: opts.moduleDirs } : {}),
        ...(opts.secrets ? { secrets: opts.secrets } : {}),
        ...(opts.threads ? { threads: opts.threads } : {}),
        dataDir: opts.dataDir,
        modelsDir: opts.modelsDir,
        ...(graphDir !== undefined ? { graphDir } : {}),
        nextReplicaId,
        ...(capacityComing ? { capacityComing } : {}),
        log: opts.log,
        onCount: (event, n) => this.metricsOf(node).event(event, n),
        ...(node.deployment.multiplex ? { onMultiplex: this.opts.metrics.multiplex.node(plan.name, node.id, node.kind).event } : {}),
        onAvailable: () => this.routers.get(id)?.dispatch(),
        // A request queued with no replica (minReplicas 0) asks for one now, not at the next sample.
        onQueued: () => this.autoscalers.get(id)?.poke(),
        onChange: () => this.poolChanged(id),
      });
      const router = new Router(pool);
      this.pools.set(id, pool);
      this.routers.set(id, router);
      const scaling = node.deployment.autoscaling;
      if (scaling) {
        const scaler = new Autoscaler({
          config: scaling,
          initialTarget: node.totals.replicas,
          pool: { ongoing: () => pool.inFlight() + router.queued, replicaStates: () => pool.status(), scaleTo: (n) => pool.scale(n) },
          onDecision: (d) => opts.log(`[${plan.name}/${id}] autoscale ${d.from} -> ${d.to}: ${d.reason}`),
        });
        this.autoscalers.set(id, scaler);
      }
    }
  }

  get name(): string {
    return this.plan.name;
  }

  /** A split node's branches count into beamline_split_branch_total (the data plane adds to the series it holds). */
  private countBranches(node: PlanNode): void {
    const branches = (node.config.branches ?? []) as { port: string }[];
    countSplit(
      node,
      branches.map((b) => this.opts.metrics.splitBranch(this.plan.name, node.id, b.port)),
    );
  }

  /**
   * Take a new version whose only change is an inline node's config (a split's weights,
   * PUT /api/graphs/:name/nodes/:node/weights) without a redeploy: the node's PlanNode is
   * swapped in this plan, so no replica restarts and the route does not move. A request in
   * flight reads the plan per node, so it routes with the old or the new weights, never a mix.
   * `next` is the new version's plan, compiled from the stored document.
   */
  reconfigureInline(next: Plan, id: string, version: number): void {
    const node = next.nodes[id];
    if (node?.runsIn !== 'executor' || !this.plan.nodes[id]) throw new Error(`node ${id} is not an inline node of ${this.plan.name}`);
    if (node.kind === 'split') this.countBranches(node);
    this.plan.nodes[id] = node;
    this.plan.graph = next.graph;
    this.version = version;
    for (const f of this.changeListeners) f();
  }

  private poolChanged(id: string): void {
    const pool = this.pools.get(id);
    const router = this.routers.get(id);
    // Nothing running and the model will not load: queued callers get the 503 now, not at their timeout.
    if (pool && router && pool.loadError && pool.running().length === 0 && router.queued > 0) {
      router.failQueued(new RequestError(503, `node ${id} is unavailable: ${pool.loadError}`, { node: id, code: 'node_unavailable', retryAfterS: 5 }));
    }
    for (const f of this.changeListeners) f();
  }

  /**
   * A release's candidate counts its node calls in series of its own (labelled with its
   * version) until `setOwnSeries(false)`: promoted, it counts in the graph's series again.
   */
  setOwnSeries(own: boolean): void {
    this.ownSeries = own ? this.version : undefined;
    this.nodeMetrics.clear();
  }

  private metricsOf(node: PlanNode): NodeMetrics {
    let m = this.nodeMetrics.get(node.id);
    if (!m) {
      m = this.opts.metrics.node(this.plan.name, node.id, node.kind, this.ownSeries);
      this.nodeMetrics.set(node.id, m);
    }
    return m;
  }

  observe(node: PlanNode, ms: number, ok: boolean, batchSize?: number): void {
    this.metricsOf(node).observe(ms, ok, batchSize);
  }

  observeCancel(node: PlanNode, started: boolean): void {
    this.metricsOf(node).cancelled(started);
  }

  observeRequest(status: number, ms: number): void {
    this.opts.metrics.observeRequest(this.plan.name, status, ms);
  }

  onChange(f: () => void): () => void {
    this.changeListeners.add(f);
    return () => this.changeListeners.delete(f);
  }

  start(): void {
    // The initial replicas are placed in one planner call, as `beamline plan` places them
    // (largest first, shares repacked), not one by one in node order; each pool starts the
    // ones the planner granted it. Later scaling and PENDING retries place one at a time.
    for (const [id, pool] of this.pools) pool.scale(this.plan.nodes[id].totals.replicas, { defer: true });
    const grant = this.opts.ledger.reserveAll([...this.pools.values()].flatMap((p) => p.pendingDemands()));
    for (const pool of this.pools.values()) pool.adopt(grant);
    for (const s of this.autoscalers.values()) s.start();
  }

  /** Resolves when every pool has settled (running, failed to load, or waiting for resources) or after waitMs. */
  settled(waitMs: number): Promise<void> {
    const done = () => [...this.pools.values()].every((p) => p.settled());
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        off();
        resolve();
      };
      const timer = setTimeout(finish, waitMs);
      const off = this.onChange(() => {
        if (done()) finish();
      });
    });
  }

  /** Nodes that have nothing RUNNING because their model or module failed to load. */
  loadFailures(): { node: string; error: string }[] {
    const out: { node: string; error: string }[] = [];
    for (const [id, pool] of this.pools) if (pool.loadError && pool.running().length === 0) out.push({ node: id, error: pool.loadError });
    return out;
  }

  async stop(): Promise<void> {
    this.draining = true;
    for (const s of this.autoscalers.values()) s.stop();
    await Promise.all([...this.pools.values()].map((p) => p.stop()));
  }

  /** A deployment written as JSON (a DeployResult in a log or a test message) is its status. */
  toJSON(): GraphStatus {
    return this.status();
  }

  status(): GraphStatus {
    const nodes: Record<string, NodeStatus> = {};
    let problems = 0;
    let broken = 0;
    let starting = 0;
    for (const id of this.plan.order) {
      const n = this.plan.nodes[id];
      const pool = this.pools.get(id);
      const router = this.routers.get(id);
      const replicas = pool?.status() ?? [];
      const running = replicas.filter((r) => r.state === 'RUNNING').length;
      if (pool && running < pool.desired) {
        problems++;
        if (running === 0) {
          if (replicas.some((r) => r.state === 'STARTING') && !pool.loadError) starting++;
          else broken++;
        }
      }
      nodes[id] = {
        id,
        kind: n.kind,
        label: n.label,
        runsIn: n.runsIn,
        replicas,
        inFlight: pool?.inFlight() ?? 0,
        queued: router?.queued ?? 0,
        maxQueued: n.deployment.maxQueuedRequests,
        ...(this.autoscalers.has(id) ? { autoscaling: this.autoscalers.get(id)!.status() } : {}),
        metrics: this.opts.metrics.snapshot(this.plan.name, id, this.ownSeries),
        ...(pool?.loadError ? { error: pool.loadError } : {}),
        ...(n.deployment.multiplex ? { multiplex: this.opts.metrics.multiplex.totals(this.plan.name, id) ?? { loads: 0, evictions: 0, hits: 0, misses: 0 } } : {}),
        ...(n.kind === 'split' ? { split: { branches: splitBranches(n) } } : {}),
      };
    }
    let state: GraphState = 'RUNNING';
    if (this.draining) state = 'DELETING';
    else if (broken > 0) state = 'UNHEALTHY';
    else if (starting > 0) state = 'DEPLOYING';
    else if (problems > 0) state = 'DEGRADED';
    return { name: this.plan.name, routePrefix: this.plan.routePrefix, version: this.version, state, deployedAt: this.deployedAt, nodes, ...(this.release ? { release: this.release.status(), candidate: this.release.candidate.status() } : {}) };
  }
}
