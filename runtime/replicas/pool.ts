import type { Assignment, ReplicaDemand, Unplaced } from '../../shared/placement.js';
import type { PlanNode } from '../../shared/plan.js';
import type { ReplicaStatus } from '../../shared/protocol.js';
import { concurrentBatches } from '../batching.js';
import type { ClusterLedger } from '../cluster.js';
import type { Device } from '../nodes/types.js';
import type { SecretPolicy } from '../security/secret-policy.js';
import { Replica } from './replica.js';

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
  /** A replica's node counted something (NodeContext.count): metrics. */
  onCount?: (event: string, n: number) => void;
  /**
   * True while resources this pool waits for are held by a version of the same graph being
   * drained (a redeploy on a full cluster): its requests queue for them instead of a 503.
   */
  capacityComing?: () => boolean;
  /** A replica freed a slot or started: queued requests can go. */
  onAvailable: (r: Replica) => void;
  /** Anything in the pool changed (status pushes, deploy waits). */
  onChange: () => void;
}

interface Slot {
  id: string;
  restarts: number;
  reason?: string;
}

const MAX_BACKOFF_MS = 30_000;

/**
 * The replicas of one node: keeps `target` of them alive, places new ones
 * through the ledger (PENDING with the planner's reason when they do not fit),
 * replaces the ones that die, drains the ones scaled away.
 */
export class ReplicaPool {
  readonly replicas: Replica[] = [];
  private pending: Slot[] = [];
  private failed: ReplicaStatus | undefined;
  private target = 0;
  private stopped = false;
  private backoffMs = 250;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly restartsOf = new Map<Replica, number>();
  /** Last load error; cleared when a replica of the node starts. */
  loadError: string | undefined;
  private readonly unsubscribe: () => void;

  constructor(readonly opts: PoolOptions) {
    this.unsubscribe = opts.ledger.onFreed(() => this.placePending());
  }

  get node(): PlanNode {
    return this.opts.node;
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
    while (this.replicas.filter((r) => r.state !== 'STOPPING').length + this.pending.length < n) this.pending.push({ id: this.opts.nextReplicaId(), restarts: 0 });
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
      memoryMb: r.memoryMb,
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
      onCount: (event, n) => this.opts.onCount?.(event, n),
      init: {
        t: 'init',
        kind: node.kind,
        config: node.config,
        modules: this.opts.modules,
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
    this.restartsOf.set(replica, slot.restarts);
    this.replicas.push(replica);
    this.runningCache = undefined;
    replica.start().then(
      () => {
        this.loadError = undefined;
        this.failed = undefined;
        this.backoffMs = 250;
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
    const restarts = this.restartsOf.get(r) ?? 0;
    this.restartsOf.delete(r);
    if (failed && !this.stopped) {
      this.failed = { ...r.status(), state: 'UNHEALTHY', reason, restarts };
      const loadFailed = r.startedAt === undefined;
      if (loadFailed) this.loadError = reason;
      this.opts.log(`[${this.opts.graph}/${r.id}] ${reason}; replacing it`);
      // Replace it; back off when replicas keep failing to load so a broken model does not spin.
      const live = this.replicas.filter((x) => x.state !== 'STOPPING').length + this.pending.length;
      if (live < this.target) {
        const slot = { id: this.opts.nextReplicaId(), restarts: restarts + 1 };
        if (loadFailed) {
          const wait = this.backoffMs;
          this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
          this.retryTimer = setTimeout(() => {
            if (this.stopped) return;
            this.pending.push(slot);
            this.placePending();
          }, wait);
          this.retryTimer.unref();
        } else {
          this.pending.push(slot);
          this.placePending();
        }
      }
    }
    this.opts.onChange();
  }

  /** Why nothing can serve soon: every replica wanted is PENDING on resources and none is starting. */
  blockedReason(): string | undefined {
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
    clearTimeout(this.retryTimer);
    this.unsubscribe();
    this.pending = [];
    // A copy: a drained replica leaves this.replicas as it goes.
    await Promise.all([...this.replicas].map((r) => r.drain()));
    this.opts.onChange();
  }

  status(): ReplicaStatus[] {
    const out: ReplicaStatus[] = this.replicas.map((r) => ({ ...r.status(), restarts: this.restartsOf.get(r) ?? 0 }));
    for (const s of this.pending) {
      out.push({ id: s.id, node: this.opts.node.id, state: 'PENDING', reason: s.reason ?? 'waiting for placement', inFlight: 0, restarts: s.restarts });
    }
    // A replica that failed stays visible until its replacement runs.
    if (this.failed && this.running().length < this.target) out.push(this.failed);
    return out;
  }
}
