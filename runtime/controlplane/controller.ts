import type { Catalog } from '../../shared/catalog/index.js';
import { compile } from '../../shared/compile.js';
import type { GraphError } from '../../shared/errors.js';
import type { Plan } from '../../shared/plan.js';
import { REPLICA_STATES, type ReplicaState } from '../../shared/protocol.js';
import type { ReleaseStatus } from '../../shared/release.js';
import type { RouteTable } from '../dataplane/interface.js';
import { capacityRefusal } from './capacity.js';
import { type DeploymentOptions, GraphDeployment } from './deployment.js';
import type { MetricsSource } from './metrics.js';
import { Release, type ReleaseStart } from './release/release.js';

export interface ControllerOptions extends DeploymentOptions {
  catalog: Catalog;
  /** Longest a deploy waits for its replicas before answering (they keep starting after). */
  deployWaitMs: number;
}

export type DeployResult = { ok: true; deployment: GraphDeployment; release?: ReleaseStatus } | DeployFailure;
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
  /** The stop of each retiring version, for a DELETE that waits for it. */
  private readonly stops = new Map<GraphDeployment, Promise<void>>();
  private readonly listeners = new Set<(graph: string) => void>();
  /** Releases running (a candidate beside the stable version), and the last one that ended, per name. */
  private readonly releases = new Map<string, Release>();
  private readonly endedReleases = new Map<string, Release>();

  constructor(readonly opts: ControllerOptions) {}

  /**
   * `version`: the number the store gave this deploy (persistence); the next in-memory one when absent.
   * `commit`: called once the new version's replicas are up, right before it takes the route
   * (persistence records the switch there); a failure it returns leaves the old version serving.
   * `release`: start the new version as a canary or shadow beside the serving one instead of switching.
   */
  async deploy(source: unknown, graphDir?: string, version?: number, commit?: () => DeployFailure | undefined, release?: ReleaseStart): Promise<DeployResult> {
    const r = compile(source, this.opts.catalog);
    if (!r.ok) return { ok: false, status: 400, error: `graph has ${r.errors.length} error${r.errors.length > 1 ? 's' : ''}`, errors: r.errors };
    const plan = r.plan;
    // Deploys (and deletes) of one name run one after the other, so the last one asked for
    // is the one left serving even when an earlier one takes longer to start.
    return this.serially(plan.name, () => this.activate(plan, graphDir, version, commit, release));
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

  private async activate(plan: Plan, graphDir: string | undefined, version: number | undefined, commit?: () => DeployFailure | undefined, release?: ReleaseStart): Promise<DeployResult> {
    const taken = this.conflict(plan);
    if (taken) return taken;
    const busy = release && this.releaseRefusal(plan.name, release, plan.routePrefix);
    if (busy) return busy;
    // Refused before anything starts: replicas that cannot fit in memory or under --max-replicas.
    // A release runs beside the stable version for its whole length, so both are counted.
    const stable = release && this.graphs.get(plan.name);
    const full = capacityRefusal(plan, this.opts.ledger, stable ? { mode: release.request.mode, version: stable.version } : undefined);
    if (full) return full;
    const v = version ?? (this.versions.get(plan.name) ?? 0) + 1;
    this.versions.set(plan.name, v);
    const dep = new GraphDeployment(plan, v, this.opts, () => this.nextReplicaId(plan.name), graphDir, () => this.isRetiring(plan.name));
    // A candidate's node calls are counted apart from the stable version's until it is promoted.
    if (release) dep.setOwnSeries(true);
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
    if (release) return this.beginRelease(old!, dep, release);
    const refused = commit?.();
    if (refused) {
      this.stopQuietly(dep);
      return refused;
    }
    // A plain deploy over a release ends it: its candidate is retired, the new version takes the route.
    this.releases.get(plan.name)?.act('abort', `version ${v} was deployed over the release`);
    this.graphs.set(plan.name, dep);
    if (old && old.plan.routePrefix !== plan.routePrefix) this.routes.delete(old.plan.routePrefix);
    this.routes.set(plan.routePrefix, dep);
    if (old) this.retire(old);
    this.changed(plan.name);
    return { ok: true, deployment: dep };
  }

  /**
   * Why a release of `name` cannot start now, or undefined: it needs a stable version to
   * compare with, one release at a time, and the route of the version serving.
   */
  releaseRefusal(name: string, release: ReleaseStart, routePrefix?: string): DeployFailure | undefined {
    const path = `?${release.request.mode}`;
    const stable = this.graphs.get(name);
    const refuse = (message: string, fix: string, status: 400 | 409 = 409): DeployFailure => ({ ok: false, status, error: message, errors: [{ code: 'invalid_document', path, message, fix }] });
    if (!stable) return refuse(`graph ${name} has no stable version to release beside`, `deploy it without ${path} first`);
    const running = this.releases.get(name);
    if (running) return refuse(`a ${running.mode} release of ${name} is running (version ${running.candidateVersion} beside ${running.stableVersion})`, `promote, roll back or abort it first (POST /api/graphs/${name}/release/abort)`);
    if (routePrefix !== undefined && routePrefix !== stable.plan.routePrefix) {
      return refuse(`a release keeps the route: version ${stable.version} serves ${stable.plan.routePrefix}, the new version asks for ${routePrefix}`, 'deploy without a release to move the route', 400);
    }
    return undefined;
  }

  private beginRelease(stable: GraphDeployment, candidate: GraphDeployment, start: ReleaseStart): DeployResult {
    const name = stable.name;
    const rel: Release = new Release(stable, candidate, start.request, {
      finish: (outcome) => this.endRelease(rel, outcome, start),
      decided: (d, status) => {
        this.opts.metrics.releaseDecision(name, d.action);
        this.opts.log(`[${name}] release ${d.action} ${d.fromShare}% -> ${d.toShare}%: ${d.reason}`);
        start.recorded?.(status);
        this.changed(name);
      },
      shadow: (outcome) => this.opts.metrics.shadowRequest(name, outcome),
    });
    this.releases.set(name, rel);
    stable.release = rel;
    rel.start();
    return { ok: true, deployment: candidate, release: rel.status() };
  }

  /** A release ends: the candidate takes the route (promote) or is retired; requests in flight finish where they run. */
  private endRelease(rel: Release, outcome: 'promote' | 'discard', start: ReleaseStart): string | undefined {
    const name = rel.graph;
    if (outcome === 'promote') {
      const refused = start.commit?.();
      if (refused) return refused;
      rel.stable.release = undefined;
      rel.candidate.setOwnSeries(false);
      this.graphs.set(name, rel.candidate);
      this.routes.set(rel.candidate.plan.routePrefix, rel.candidate);
      this.retire(rel.stable);
    } else {
      rel.stable.release = undefined;
      this.retire(rel.candidate);
    }
    this.opts.metrics.forgetCandidate(name, rel.candidateVersion);
    this.releases.delete(name);
    this.endedReleases.set(name, rel);
    this.changed(name);
    return undefined;
  }

  /** The release of a graph running now, else the last one that ended. */
  release(name: string): Release | undefined {
    return this.releases.get(name) ?? this.endedReleases.get(name);
  }

  /** Each running release's share per version (beamline_release_share). */
  releaseShares(): { graph: string; version: number; share: number }[] {
    const out: { graph: string; version: number; share: number }[] = [];
    for (const r of this.releases.values()) {
      out.push({ graph: r.graph, version: r.stableVersion, share: r.mode === 'canary' ? 100 - r.share : 100 }, { graph: r.graph, version: r.candidateVersion, share: r.share });
    }
    return out;
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

  /** Resolves once a retiring version has stopped (at once when it is not retiring). */
  private stopping(dep: GraphDeployment): Promise<void> {
    return this.stops.get(dep) ?? Promise.resolve();
  }

  /** Stop a version that no longer has the route, in the background. */
  private retire(dep: GraphDeployment): void {
    this.retiring.add(dep);
    const stopped = this.stopQuietly(dep).finally(() => {
      this.retiring.delete(dep);
      this.stops.delete(dep);
      this.changed(dep.name);
    });
    this.stops.set(dep, stopped);
  }

  remove(name: string): Promise<boolean> {
    return this.serially(name, () => this.removeNow(name));
  }

  private async removeNow(name: string): Promise<boolean> {
    const dep = this.graphs.get(name);
    if (!dep) return false;
    // A release ends with the graph (recorded aborted): the DELETE answers once both versions have stopped.
    const rel = this.releases.get(name);
    rel?.act('abort', 'the graph was deleted');
    this.graphs.delete(name);
    if (this.routes.get(dep.plan.routePrefix) === dep) this.routes.delete(dep.plan.routePrefix);
    await Promise.all([dep.stop(), rel ? this.stopping(rel.candidate) : undefined]);
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
    return [...this.graphs.values(), ...[...this.releases.values()].map((r) => r.candidate), ...this.retiring];
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
    const candidates = new Set([...this.releases.values()].map((r) => r.candidate));
    for (const dep of this.allDeployments()) {
      const version = candidates.has(dep) ? dep.version : undefined;
      for (const [id, pool] of dep.pools) {
        const router = dep.routers.get(id)!;
        const replicas = Object.fromEntries(REPLICA_STATES.map((s) => [s, 0])) as Record<ReplicaState, number>;
        for (const r of pool.status()) replicas[r.state]++;
        const scaler = dep.autoscalers.get(id);
        out.push({ graph: dep.name, node: id, kind: pool.node.kind, ...(version !== undefined ? { version } : {}), inFlight: pool.inFlight(), queued: router.queued, replicas, ...(scaler ? { autoscaling: scaler.status() } : {}) });
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
    // A release still running is recorded as running; the next start marks it aborted (the stable version serves).
    for (const r of this.releases.values()) r.dispose();
    this.graphs.clear();
    this.routes.clear();
    await Promise.all(all.map((d) => d.stop()));
  }
}
