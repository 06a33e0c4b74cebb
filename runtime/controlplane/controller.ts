import type { Catalog } from '../../shared/catalog/index.js';
import { compile } from '../../shared/compile.js';
import type { GraphError } from '../../shared/errors.js';
import type { Plan } from '../../shared/plan.js';
import { type GraphState, type GraphStatus, type NodeStatus, REPLICA_STATES, type ReplicaState } from '../../shared/protocol.js';
import { Autoscaler } from './autoscaler.js';
import { capacityRefusal } from './capacity.js';
import type { ClusterLedger } from './cluster.js';
import { RequestError } from '../dataplane/errors.js';
import type { Executable } from '../dataplane/executor.js';
import type { Metrics, MetricsSource, NodeMetrics } from './metrics.js';
import { ReplicaPool } from './pool.js';
import type { ThreadCount } from '../dataplane/replicas/replica.js';
import { Router } from '../dataplane/router.js';
import type { SecretPolicy } from '../security/secret-policy.js';

export interface ControllerOptions {
  catalog: Catalog;
  ledger: ClusterLedger;
  metrics: () => Metrics;
  modules: string[];
  /** Directories `custom` nodes may load modules from (serve --allow-custom); none: custom code is off. */
  moduleDirs?: string[];
  /** Secret env vars replicas may read and where they may send them; absent: BEAMLINE_SECRET_* only, anywhere. */
  secrets?: SecretPolicy;
  dataDir: string;
  modelsDir: string;
  /** Longest a deploy waits for its replicas before answering (they keep starting after). */
  deployWaitMs: number;
  /** Counts replica threads alive (beamline_replica_threads); one per server. */
  threads?: ThreadCount;
  log: (message: string) => void;
}

/** One version of a deployed graph: its plan and a pool + router per replica-backed node. */
export class GraphDeployment implements Executable {
  readonly pools = new Map<string, ReplicaPool>();
  readonly routers = new Map<string, Router>();
  /** Nodes with `autoscaling`: the autoscaler drives their pool's scale (runtime/autoscaler.ts). */
  readonly autoscalers = new Map<string, Autoscaler>();
  readonly deployedAt = Date.now();
  private readonly changeListeners = new Set<() => void>();
  draining = false;

  constructor(
    readonly plan: Plan,
    readonly version: number,
    private readonly ctl: ControllerOptions,
    nextReplicaId: () => string,
    graphDir: string | undefined,
    capacityComing?: () => boolean,
  ) {
    for (const id of plan.order) {
      const node = plan.nodes[id];
      if (node.runsIn !== 'replica') continue;
      let router: Router | undefined;
      const pool = new ReplicaPool({
        graph: plan.name,
        node,
        ledger: ctl.ledger,
        modules: ctl.modules,
        ...(ctl.moduleDirs ? { moduleDirs: ctl.moduleDirs } : {}),
        ...(ctl.secrets ? { secrets: ctl.secrets } : {}),
        ...(ctl.threads ? { threads: ctl.threads } : {}),
        dataDir: ctl.dataDir,
        modelsDir: ctl.modelsDir,
        ...(graphDir !== undefined ? { graphDir } : {}),
        nextReplicaId,
        ...(capacityComing ? { capacityComing } : {}),
        log: ctl.log,
        onCount: (event, n) => this.metricsOf(node).event(event, n),
        onAvailable: () => router?.dispatch(),
        onChange: () => {
          // Nothing running and the model will not load: queued callers get the 503 now, not at their timeout.
          if (router && pool.loadError && pool.running().length === 0 && router.queued > 0) router.failQueued(new RequestError(503, `node ${id} is unavailable: ${pool.loadError}`, { node: id, code: 'node_unavailable', retryAfterS: 5 }));
          for (const f of this.changeListeners) f();
        },
      });
      router = new Router(pool);
      this.pools.set(id, pool);
      this.routers.set(id, router);
      const scaling = node.deployment.autoscaling;
      if (scaling) {
        const r = router;
        const scaler = new Autoscaler({
          config: scaling,
          initialTarget: node.totals.replicas,
          pool: { ongoing: () => r.inFlight + r.queued, replicaStates: () => pool.status(), scaleTo: (n) => pool.scale(n) },
          onDecision: (d) => ctl.log(`[${plan.name}/${id}] autoscale ${d.from} -> ${d.to}: ${d.reason}`),
        });
        // A request queued with no replica (minReplicas 0) asks for one now, not at the next sample.
        router.onQueued = () => scaler.poke();
        this.autoscalers.set(id, scaler);
      }
    }
  }

  get name(): string {
    return this.plan.name;
  }

  private readonly nodeMetrics = new Map<string, NodeMetrics>();
  private metricsOf(node: Plan['nodes'][string]): NodeMetrics {
    let m = this.nodeMetrics.get(node.id);
    if (!m) {
      m = this.ctl.metrics().node(this.plan.name, node.id, node.kind);
      this.nodeMetrics.set(node.id, m);
    }
    return m;
  }
  observe = (node: Plan['nodes'][string], ms: number, ok: boolean, batchSize?: number): void => {
    this.metricsOf(node).observe(ms, ok, batchSize);
  };
  observeCancel = (node: Plan['nodes'][string], started: boolean): void => {
    this.metricsOf(node).cancelled(started);
  };

  onChange(f: () => void): () => void {
    this.changeListeners.add(f);
    return () => this.changeListeners.delete(f);
  }

  start(): void {
    // The initial replicas are placed in one planner call, as `beamline plan` places them
    // (largest first, shares repacked), not one by one in node order; each pool starts the
    // ones the planner granted it. Later scaling and PENDING retries place one at a time.
    for (const [id, pool] of this.pools) pool.scale(this.plan.nodes[id].totals.replicas, { defer: true });
    const grant = this.ctl.ledger.reserveAll([...this.pools.values()].flatMap((p) => p.pendingDemands()));
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
        inFlight: router?.inFlight ?? 0,
        queued: router?.queued ?? 0,
        maxQueued: n.deployment.maxQueuedRequests,
        ...(this.autoscalers.has(id) ? { autoscaling: this.autoscalers.get(id)!.status() } : {}),
        metrics: this.ctl.metrics().snapshot(this.plan.name, id),
        ...(pool?.loadError ? { error: pool.loadError } : {}),
      };
    }
    let state: GraphState = 'RUNNING';
    if (this.draining) state = 'DELETING';
    else if (broken > 0) state = 'UNHEALTHY';
    else if (starting > 0) state = 'DEPLOYING';
    else if (problems > 0) state = 'DEGRADED';
    return { name: this.plan.name, routePrefix: this.plan.routePrefix, version: this.version, state, deployedAt: this.deployedAt, nodes };
  }
}

export type DeployResult = { ok: true; deployment: GraphDeployment } | DeployFailure;
export type DeployFailure = { ok: false; status: 400 | 409 | 413 | 503 | 507; error: string; errors: GraphError[] };

/**
 * The control plane: desired graphs in, pools reconciled to match. A redeploy
 * starts the new version's replicas, waits for them, switches the route, then
 * drains the old version, so requests in flight finish where they started.
 */
export class Controller implements MetricsSource {
  private readonly graphs = new Map<string, GraphDeployment>();
  private readonly routes = new Map<string, GraphDeployment>();
  private readonly versions = new Map<string, number>();
  private readonly replicaCounters = new Map<string, number>();
  private readonly retiring = new Set<GraphDeployment>();
  private readonly listeners = new Set<(graph: string) => void>();

  constructor(readonly opts: ControllerOptions) {}

  /**
   * `version`: the number the store gave this deploy (persistence); the next in-memory one when absent.
   * `commit`: called once the new version's replicas are up, right before it takes the route
   * (persistence records the switch there); a failure it returns leaves the old version serving.
   */
  async deploy(source: unknown, graphDir?: string, version?: number, commit?: () => DeployFailure | undefined): Promise<DeployResult> {
    const r = compile(source, this.opts.catalog);
    if (!r.ok) return { ok: false, status: 400, error: `graph has ${r.errors.length} error${r.errors.length > 1 ? 's' : ''}`, errors: r.errors };
    const plan = r.plan;
    // Deploys (and deletes) of one name run one after the other, so the last one asked for
    // is the one left serving even when an earlier one takes longer to start.
    return this.serially(plan.name, () => this.activate(plan, graphDir, version, commit));
  }

  private readonly queues = new Map<string, Promise<unknown>>();
  private serially<T>(name: string, f: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(name) ?? Promise.resolve();
    const mine = prev.then(f, f);
    this.queues.set(name, mine);
    const clear = () => {
      if (this.queues.get(name) === mine) this.queues.delete(name);
    };
    mine.then(clear, clear);
    return mine;
  }

  private conflict(plan: Plan): DeployResult | undefined {
    const holder = this.routes.get(plan.routePrefix);
    if (holder && holder.name !== plan.name) {
      const message = `route ${plan.routePrefix} is already served by graph ${holder.name}`;
      return { ok: false, status: 409, error: message, errors: [{ code: 'invalid_document', path: '$.routePrefix', message, fix: `choose another routePrefix, or delete graph ${holder.name} first` }] };
    }
    return undefined;
  }

  private async activate(plan: Plan, graphDir: string | undefined, version: number | undefined, commit?: () => DeployFailure | undefined): Promise<DeployResult> {
    const taken = this.conflict(plan);
    if (taken) return taken;
    // Refused before anything starts: replicas that cannot fit in memory or under --max-replicas.
    const full = capacityRefusal(plan, this.opts.ledger);
    if (full) return full;
    const v = version ?? (this.versions.get(plan.name) ?? 0) + 1;
    this.versions.set(plan.name, v);
    const dep = new GraphDeployment(plan, v, this.opts, () => this.nextReplicaId(plan.name), graphDir, () => this.isRetiring(plan.name));
    dep.onChange(() => this.changed(plan.name));
    dep.start();
    await dep.settled(this.opts.deployWaitMs);
    // Another graph may have taken the route while this one started.
    const late = this.conflict(plan);
    if (late) {
      this.stopQuietly(dep);
      return late;
    }
    const old = this.graphs.get(plan.name);
    // An upgrade whose model will not load is not switched to: the running version keeps serving.
    const failed = old ? dep.loadFailures() : [];
    if (failed.length) {
      this.stopQuietly(dep);
      return {
        ok: false,
        status: 503,
        error: `version ${v} of ${plan.name} was not activated: ${failed.map((f) => `node ${f.node} ${f.error}`).join('; ')}; version ${old!.version} keeps serving`,
        errors: failed.map((f) => ({
          code: 'invalid_config',
          node: f.node,
          path: `$.nodes[${plan.graph.nodes.findIndex((n) => n.id === f.node)}]`,
          message: f.error,
          fix: 'check the model or module this node names; the previous version keeps serving',
        })),
      };
    }
    const refused = commit?.();
    if (refused) {
      this.stopQuietly(dep);
      return refused;
    }
    this.graphs.set(plan.name, dep);
    if (old && old.plan.routePrefix !== plan.routePrefix) this.routes.delete(old.plan.routePrefix);
    this.routes.set(plan.routePrefix, dep);
    if (old) this.retire(old);
    this.changed(plan.name);
    return { ok: true, deployment: dep };
  }

  private nextReplicaId(graph: string): string {
    const n = this.replicaCounters.get(graph) ?? 0;
    this.replicaCounters.set(graph, n + 1);
    return `r${n}`;
  }

  /** Stop a version in the background; a failure to stop is logged, never an unhandled rejection. */
  private stopQuietly(dep: GraphDeployment): Promise<void> {
    return dep.stop().catch((e) => this.opts.log(`[${dep.name}] stopping version ${dep.version}: ${(e as Error).message}`));
  }

  private isRetiring(name: string): boolean {
    for (const d of this.retiring) if (d.name === name) return true;
    return false;
  }

  private retire(dep: GraphDeployment): void {
    this.retiring.add(dep);
    this.stopQuietly(dep).finally(() => {
      this.retiring.delete(dep);
      this.changed(dep.name);
    });
  }

  remove(name: string): Promise<boolean> {
    return this.serially(name, () => this.removeNow(name));
  }

  private async removeNow(name: string): Promise<boolean> {
    const dep = this.graphs.get(name);
    if (!dep) return false;
    this.graphs.delete(name);
    if (this.routes.get(dep.plan.routePrefix) === dep) this.routes.delete(dep.plan.routePrefix);
    await dep.stop();
    this.opts.metrics().forget(name);
    this.changed(name);
    return true;
  }

  get(name: string): GraphDeployment | undefined {
    return this.graphs.get(name);
  }

  byRoute(path: string): GraphDeployment | undefined {
    return this.routes.get(path);
  }

  list(): GraphDeployment[] {
    return [...this.graphs.values()];
  }

  /** Every live pool, the retiring versions' included (they still hold replicas). */
  private allDeployments(): GraphDeployment[] {
    return [...this.graphs.values(), ...this.retiring];
  }

  onChange(f: (graph: string) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  private changed(graph: string): void {
    for (const f of this.listeners) f(graph);
  }

  nodes(): ReturnType<MetricsSource['nodes']> {
    const out: ReturnType<MetricsSource['nodes']> = [];
    for (const dep of this.allDeployments()) {
      for (const [id, pool] of dep.pools) {
        const router = dep.routers.get(id)!;
        const replicas = Object.fromEntries(REPLICA_STATES.map((s) => [s, 0])) as Record<ReplicaState, number>;
        for (const r of pool.status()) replicas[r.state]++;
        const scaler = dep.autoscalers.get(id);
        out.push({ graph: dep.name, node: id, kind: pool.node.kind, inFlight: router.inFlight, queued: router.queued, replicas, ...(scaler ? { autoscaling: scaler.status() } : {}) });
      }
    }
    return out;
  }

  /** Longest shutdown() may take: the largest gracefulShutdownTimeoutMs of a live node, plus the node's close (1 s). */
  drainTimeoutMs(): number {
    let most = 0;
    for (const dep of this.allDeployments()) for (const pool of dep.pools.values()) most = Math.max(most, pool.node.deployment.gracefulShutdownTimeoutMs);
    return most + 1000;
  }

  replicaThreads(): number {
    return this.opts.threads?.live ?? 0;
  }

  async shutdown(): Promise<void> {
    const all = this.allDeployments();
    this.graphs.clear();
    this.routes.clear();
    await Promise.all(all.map((d) => d.stop()));
  }
}
