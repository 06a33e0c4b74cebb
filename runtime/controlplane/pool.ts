import type { Assignment, ReplicaDemand, Unplaced } from '../../shared/placement.js';
import type { PlanNode } from '../../shared/plan.js';
import type { ReplicaStatus } from '../../shared/protocol.js';
import { RequestError } from '../dataplane/errors.js';
import type { NodeReplicas } from '../dataplane/interface.js';
import { concurrentBatches } from '../dataplane/replicas/batching.js';
import type { MultiplexEvent } from '../dataplane/replicas/messages.js';
import { Replica, type ThreadCount } from '../dataplane/replicas/replica.js';
import type { Device } from '../nodes/types.js';
import type { SecretPolicy } from '../security/secret-policy.js';
import type { ClusterLedger } from './cluster.js';

export interface PoolOptions {
  graph: string;
  node: PlanNode;
  ledger: ClusterLedger;
  /** Custom kind modules (file URLs) the workers import. */
  modules: string[];
  /** Directories `custom` nodes may load modules from; handed to the node as ctx.moduleDirs. */
  moduleDirs?: string[];
  /** The operator's secret policy; handed to the node as ctx.secrets. */
  secrets?: SecretPolicy;
  dataDir: string;
  modelsDir: string;
  graphDir?: string;
  /** Unique replica ids across versions of one graph. */
  nextReplicaId: () => string;
  log: (message: string) => void;
  /** Replica threads alive in the server (beamline_replica_threads). */
  threads?: ThreadCount;
  /** A replica's node counted something (NodeContext.count): metrics. */
  onCount?: (event: string, n: number) => void;
  /** A multiplexed replica loaded, evicted, hit or missed a model (ms: the call or the load): metrics. */
  onMultiplex?: (event: MultiplexEvent, model: string, ms?: number) => void;
  /**
   * True while resources this pool waits for are held by a version of the same graph being
   * drained (a redeploy on a full cluster): its requests queue for them instead of a 503.
   */
  capacityComing?: () => boolean;
  /** A replica freed a slot or started: queued requests can go. */
  onAvailable: (r: Replica) => void;
  /** A request joined the node's queue (the autoscaler scales from zero on it). */
  onQueued?: () => void;
  /** Anything in the pool changed (status pushes, deploy waits). */
  onChange: () => void;
}

interface Slot {
  id: string;
  restarts: number;
  /** Loads of this slot that failed in a row (a replica that ran resets it). */
  loadFailures: number;
  reason?: string;
}

/**
 * Loads of one slot before the pool gives up until the graph is redeployed: a model that
 * is missing stays missing, and every attempt costs a thread and the node's imports.
 */
export const LOAD_ATTEMPTS = 5;
/** Wait before the first retry of a failed load; doubled each time (0.5, 1, 2, 4 s). */
const FIRST_RETRY_MS = 500;

/**
 * The replicas of one node: keeps `target` of them alive, places new ones
 * through the ledger (PENDING with the planner's reason when they do not fit),
 * replaces the ones that die, drains the ones scaled away. Its router sees it
 * as the data plane's NodeReplicas.
 */
export class ReplicaPool implements NodeReplicas {
  readonly replicas: Replica[] = [];
  private pending: Slot[] = [];
  private failed: ReplicaStatus | undefined;
  private target = 0;
  private stopped = false;
  /** Set when a slot failed to load LOAD_ATTEMPTS times: no new replicas until a redeploy. */
  private gaveUp = false;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly slotOf = new Map<Replica, Slot>();
  /** Threads of replicas that left but have not exited yet; stop() waits for them. */
  private readonly exits = new Set<Promise<void>>();
  /** Last load error; cleared when a replica of the node starts. */
  loadError: string | undefined;
  private readonly unsubscribe: () => void;

  constructor(readonly opts: PoolOptions) {
    this.unsubscribe = opts.ledger.onFreed(() => this.placePending());
  }

  get node(): PlanNode {
    return this.opts.node;
  }

  get modelsDir(): string {
    return this.opts.modelsDir;
  }

  get desired(): number {
    return this.target;
  }

  private runningCache: Replica[] | undefined;
  /** RUNNING replicas; cached, as the router asks on every call. */
  running(): Replica[] {
    this.runningCache ??= this.replicas.filter((r) => r.state === 'RUNNING');
    return this.runningCache;
  }

  /**
   * Set the replica count; extra replicas drain (never dropped with work). With `defer`, new
   * slots stay PENDING unplaced: the caller places them with other pools' (pendingDemands, adopt).
   */
  scale(n: number, opts: { defer?: boolean } = {}): void {
    if (this.stopped) return;
    this.target = n;
    while (!this.gaveUp && this.replicas.filter((r) => r.state !== 'STOPPING').length + this.pending.length < n) this.pending.push({ id: this.opts.nextReplicaId(), restarts: 0, loadFailures: 0 });
    while (this.pending.length && this.replicas.filter((r) => r.state !== 'STOPPING').length + this.pending.length > n) this.pending.pop();
    const live = this.replicas.filter((r) => r.state === 'STARTING' || r.state === 'RUNNING');
    // Scale down the least busy replicas first.
    live.sort((a, b) => a.inFlight - b.inFlight);
    for (let extra = live.length - n; extra > 0; extra--) void live.shift()!.drain();
    if (!opts.defer) this.placePending();
    this.opts.onChange();
  }

  /** What each PENDING slot asks of the cluster, keyed in the ledger as `<graph>/<replica id>`. */
  pendingDemands(): ReplicaDemand[] {
    return this.pending.map((slot) => this.demand(slot));
  }

  /** Start the PENDING slots a joint placement granted; the others keep waiting with its reason. */
  adopt(grant: { assignments: Map<string, Assignment>; unplaced: Map<string, Unplaced> }): void {
    if (this.stopped) return;
    const still: Slot[] = [];
    for (const slot of this.pending) {
      const key = this.demand(slot).replica;
      const a = grant.assignments.get(key);
      if (a) this.startReplica(slot, a);
      else still.push({ ...slot, reason: grant.unplaced.get(key)?.reason ?? slot.reason });
    }
    this.pending = still;
    this.opts.onChange();
  }

  private demand(slot: Slot): ReplicaDemand {
    const { node, graph } = this.opts;
    const r = node.deployment.resources;
    return {
      replica: `${graph}/${slot.id}`,
      node: node.id,
      cpus: r.cpus,
      gpus: r.gpus,
      memoryMb: node.memoryMb,
      ...(r.gpuMemoryMb !== undefined ? { gpuMemoryMb: r.gpuMemoryMb } : {}),
    };
  }

  /** Try to place every PENDING slot; the ledger calls this again when resources free up. */
  placePending(): void {
    if (this.stopped) return;
    const still: Slot[] = [];
    for (const slot of this.pending) {
      const res = this.opts.ledger.reserve(this.demand(slot));
      if (res.ok) this.startReplica(slot, res.assignment);
      else still.push({ ...slot, reason: res.unplaced.reason });
    }
    const changed = still.length !== this.pending.length || still.some((s, i) => s.reason !== this.pending[i].reason);
    this.pending = still;
    if (changed) this.opts.onChange();
  }

  private device(a: Assignment): Device {
    const g = a.gpus[0];
    if (!g || this.opts.ledger.virtualGpus) return { type: 'cpu' };
    return { type: 'cuda', deviceId: g.index, share: g.share, memoryLimitBytes: Math.floor(g.memoryMb * 2 ** 20), virtual: false };
  }

  private startReplica(slot: Slot, assignment: Assignment): void {
    const { node, graph } = this.opts;
    const replica = new Replica({
      id: slot.id,
      node: node.id,
      deployment: node.deployment,
      assignment,
      virtualGpus: this.opts.ledger.virtualGpus,
      log: (m) => this.opts.log(`[${graph}/${slot.id}] ${m}`),
      ...(this.opts.threads ? { threads: this.opts.threads } : {}),
      onCount: (event, n) => this.opts.onCount?.(event, n),
      ...(this.opts.onMultiplex ? { onMultiplex: this.opts.onMultiplex } : {}),
      init: {
        t: 'init',
        kind: node.kind,
        config: node.config,
        modules: this.opts.modules,
        ...(node.deployment.multiplex
          ? { multiplex: { folder: node.deployment.multiplex.modelsFolder, field: node.multiplexField ?? 'model', maxModels: node.deployment.multiplex.maxModelsPerReplica } }
          : {}),
        ...(node.deployment.batching ? { batching: { ...node.deployment.batching, maxOngoingRequests: node.deployment.maxOngoingRequests, maxConcurrentBatches: concurrentBatches(node.deployment) } } : {}),
        ctx: {
          graph,
          node: node.id,
          kind: node.kind,
          replica: slot.id,
          dataDir: this.opts.dataDir,
          modelsDir: this.opts.modelsDir,
          ...(this.opts.moduleDirs ? { moduleDirs: this.opts.moduleDirs } : {}),
          ...(this.opts.secrets ? { secrets: this.opts.secrets } : {}),
          ...(this.opts.graphDir !== undefined ? { graphDir: this.opts.graphDir } : {}),
          device: this.device(assignment),
        },
      },
      onAvailable: (r) => this.opts.onAvailable(r),
      onState: () => {
        this.runningCache = undefined;
      },
      onGone: (r, reason, failed) => this.gone(r, reason, failed),
    });
    this.slotOf.set(replica, slot);
    this.replicas.push(replica);
    this.runningCache = undefined;
    replica.start().then(
      () => {
        this.loadError = undefined;
        this.failed = undefined;
        this.opts.onChange();
      },
      () => {},
    );
    this.opts.onChange();
  }

  private gone(r: Replica, reason: string, failed: boolean): void {
    this.opts.ledger.release(`${this.opts.graph}/${r.id}`);
    const i = this.replicas.indexOf(r);
    if (i >= 0) this.replicas.splice(i, 1);
    this.runningCache = undefined;
    const { restarts = 0, loadFailures = 0 } = this.slotOf.get(r) ?? {};
    this.slotOf.delete(r);
    const exit = r.exited.then(() => {
      this.exits.delete(exit);
    });
    this.exits.add(exit);
    if (failed && !this.stopped) {
      const loadFailed = r.startedAt === undefined;
      const failures = loadFailed ? loadFailures + 1 : 0;
      // A model that failed to load LOAD_ATTEMPTS times in a row is not tried again: the node
      // stays UNHEALTHY with its error until the graph is redeployed.
      const giveUp = failures >= LOAD_ATTEMPTS;
      const shown = giveUp ? `${reason} (gave up after ${failures} attempts; redeploy the graph to try again)` : reason;
      this.failed = { ...r.status(), state: 'UNHEALTHY', reason: shown, restarts };
      if (loadFailed) this.loadError = shown;
      if (giveUp) this.gaveUp = true;
      this.opts.log(`[${this.opts.graph}/${r.id}] ${giveUp ? shown : `${reason}; replacing it`}`);
      const live = this.replicas.filter((x) => x.state !== 'STOPPING').length + this.pending.length;
      if (live < this.target && !giveUp) {
        const slot: Slot = { id: this.opts.nextReplicaId(), restarts: restarts + 1, loadFailures: failures };
        if (loadFailed) {
          // Back off (0.5, 1, 2, 4 s) so a broken model does not spin.
          const timer = setTimeout(() => {
            this.retryTimers.delete(timer);
            if (this.stopped || this.gaveUp) return;
            this.pending.push(slot);
            this.placePending();
          }, FIRST_RETRY_MS * 2 ** (failures - 1));
          timer.unref();
          this.retryTimers.add(timer);
        } else {
          this.pending.push(slot);
          this.placePending();
        }
      }
    }
    this.opts.onChange();
  }

  /** Calls in flight on this node's replicas. */
  inFlight(): number {
    let n = 0;
    for (const r of this.replicas) n += r.inFlight;
    return n;
  }

  queued(): void {
    this.opts.onQueued?.();
  }

  /**
   * The 503 for a node with nothing RUNNING, when nothing can serve soon: no replica will
   * ever come, its model failed to load, or every replica wanted is PENDING on resources.
   * Undefined while replicas are starting (a deploy, scale from zero): requests queue.
   */
  unavailable(): RequestError | undefined {
    if (this.running().length > 0) return undefined;
    const node = this.node.id;
    const d = this.node.deployment;
    // numReplicas 0 without autoscaling: no replica will ever come, so waiting for one only ends in a 504.
    if (d.numReplicas === 0 && !d.autoscaling) {
      return new RequestError(503, `node ${node} has no replicas (numReplicas 0 and no autoscaling): set numReplicas or autoscaling and redeploy`, { node, code: 'node_unavailable' });
    }
    if (this.loadError) return new RequestError(503, `node ${node} is unavailable: ${this.loadError}`, { node, code: 'node_unavailable', retryAfterS: 5 });
    const blocked = this.blockedReason();
    if (blocked) return new RequestError(503, `node ${node} has no replica running: PENDING, ${blocked}`, { node, code: 'node_pending', retryAfterS: 5 });
    return undefined;
  }

  /** Why nothing can serve soon: every replica wanted is PENDING on resources and none is starting. */
  private blockedReason(): string | undefined {
    if (this.pending.length === 0 || this.replicas.some((r) => r.state === 'STARTING' || r.state === 'RUNNING')) return undefined;
    if (this.opts.capacityComing?.()) return undefined;
    return this.pending[0].reason;
  }

  /** Deploy waits on this: every replica started, failed to load, or is waiting for resources. */
  settled(): boolean {
    if (this.target === 0) return true;
    if (this.running().length >= this.target) return true;
    if (this.loadError) return true;
    return this.replicas.every((r) => r.state !== 'STARTING') && this.pending.length > 0;
  }

  /** Drain every replica and give up PENDING slots. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.target = 0;
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    this.unsubscribe();
    this.pending = [];
    // A copy: a drained replica leaves this.replicas as it goes. Threads of replicas that
    // already left (failed, killed) are waited for too, so a DELETE ends every thread.
    await Promise.all([...[...this.replicas].map((r) => r.drain()), ...this.exits]);
    this.opts.onChange();
  }

  status(): ReplicaStatus[] {
    const out: ReplicaStatus[] = this.replicas.map((r) => ({ ...r.status(), restarts: this.slotOf.get(r)?.restarts ?? 0 }));
    for (const s of this.pending) {
      out.push({ id: s.id, node: this.opts.node.id, state: 'PENDING', reason: s.reason ?? 'waiting for placement', inFlight: 0, restarts: s.restarts });
    }
    // A replica that failed stays visible until its replacement runs.
    if (this.failed && this.running().length < this.target) out.push(this.failed);
    return out;
  }
}
