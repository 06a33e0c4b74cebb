import type { Catalog } from '../../shared/catalog/index.js';
import { compile } from '../../shared/compile.js';
import type { GraphError } from '../../shared/errors.js';
import type { Plan } from '../../shared/plan.js';
import { REPLICA_STATES, type ReplicaState } from '../../shared/protocol.js';
import type { RouteTable } from '../dataplane/interface.js';
import { capacityRefusal } from './capacity.js';
import { type DeploymentOptions, GraphDeployment } from './deployment.js';
import type { MetricsSource } from './metrics.js';

export interface ControllerOptions extends DeploymentOptions {
  catalog: Catalog;
  /** Longest a deploy waits for its replicas before answering (they keep starting after). */
  deployWaitMs: number;
}

export type DeployResult = { ok: true; deployment: GraphDeployment } | DeployFailure;
export type DeployFailure = { ok: false; status: 400 | 409 | 413 | 503 | 507; error: string; errors: GraphError[] };

/**
 * The control plane: desired graphs in, pools reconciled to match. A redeploy
 * starts the new version's replicas, waits for them, switches the route, then
 * drains the old version, so requests in flight finish where they started.
 * It is the data plane's route table.
 */
export class Controller implements RouteTable, MetricsSource {
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
    this.opts.metrics.forget(name);
    this.changed(name);
    return true;
  }

  get(name: string): GraphDeployment | undefined {
    return this.graphs.get(name);
  }

  lookup(path: string): GraphDeployment | undefined {
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
        out.push({ graph: dep.name, node: id, kind: pool.node.kind, inFlight: pool.inFlight(), queued: router.queued, replicas, ...(scaler ? { autoscaling: scaler.status() } : {}) });
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
