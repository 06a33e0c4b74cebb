import type { NodeOutputs } from '../nodes/types.js';
import type { Cancel, CancelListener } from './cancel.js';
import type { Completion } from './completion.js';
import { NodeCallError, ReplicaLostError, RequestError } from './errors.js';
import type { NodeReplicas } from './interface.js';
import { ModelFolder, pickForModel } from './multiplex.js';
import type { CallCompletion, CallResult, Replica } from './replicas/replica.js';

/**
 * Power of two choices (Ray Serve's policy): sample two replicas with room and
 * take the one with fewer calls in flight. Pure, so it is tested directly.
 */
export function pickReplica<R extends { inFlight: number }>(candidates: readonly R[], limit: number, random: () => number = Math.random): R | undefined {
  const n = candidates.length;
  if (n === 0) return undefined;
  if (n === 1) return candidates[0].inFlight < limit ? candidates[0] : undefined;
  const i = Math.floor(random() * n);
  let j = Math.floor(random() * (n - 1));
  if (j >= i) j++;
  const a = candidates[i];
  const b = candidates[j];
  const best = a.inFlight <= b.inFlight ? a : b;
  if (best.inFlight < limit) return best;
  // Both sampled replicas are full: fall back to a scan so a free one is never missed.
  let free: R | undefined;
  for (const r of candidates) if (r.inFlight < limit && (!free || r.inFlight < free.inFlight)) free = r;
  return free;
}

/** A call waiting in the queue: handed a replica when one frees a slot, or failed (the node became unavailable). */
interface Waiter {
  /** The model a multiplexed call names: the replica it is handed is chosen for it. */
  readonly model?: string;
  assign(r: Replica): void;
  failed(e: Error): void;
  /** Cleared while in the queue; set once it left (assigned, failed, timed out, cancelled). */
  left: boolean;
}

export interface RouteResult {
  outputs: NodeOutputs;
  replica: string;
  queueMs: number;
  batchSize?: number;
  /** One item per batch carries this, so metrics count each batch once. */
  batchLead?: boolean;
}

/** Who hears back about a routed call (the executor's NodeCall). */
export interface RouteCompletion extends Completion<RouteResult> {
  /** A replica took the call (socket.io's node:start). */
  started?(replica: string): void;
  token?(token: string, index: number): void;
  /**
   * The request was cancelled (client gone, timeout, another node failed) before
   * the call answered: started says whether a replica was running it. Without
   * this, the completion hears failed() with the reason.
   */
  dropped?(started: boolean): void;
}

/**
 * Routes one node's calls to its replicas: bounded FIFO queue when every
 * replica is at maxOngoingRequests, 503 + Retry-After at once beyond it,
 * per-call timeout, and retries on another replica when one dies.
 */
export class Router {
  private queue: (Waiter | undefined)[] = [];
  private head = 0;
  private queuedCount = 0;
  private overloaded: RequestError | undefined;
  private folder: ModelFolder | undefined;
  /**
   * Multiplexed nodes route to a replica holding the model (Ray's model-aware routing);
   * false falls back to plain power of two choices, the baseline bench/multiplex.ts
   * measures against (BEAMLINE_MULTIPLEX_ROUTING=p2c).
   */
  modelAware = process.env.BEAMLINE_MULTIPLEX_ROUTING !== 'p2c';

  constructor(readonly replicas: NodeReplicas) {}

  /** The models folder of a multiplexed node (deployment.multiplex), resolved under the pool's models directory. */
  get models(): ModelFolder {
    const m = this.replicas.node.deployment.multiplex;
    if (!m) throw new Error(`node ${this.node} is not multiplexed`);
    this.folder ??= new ModelFolder(this.replicas.modelsDir ?? 'models', m.modelsFolder);
    return this.folder;
  }

  /** A replica with room for a call naming `model` (undefined: any), or undefined when all are full. */
  private pick(model: string | undefined): Replica | undefined {
    const d = this.replicas.node.deployment;
    if (model === undefined || !this.modelAware || !d.multiplex) return pickReplica(this.replicas.running(), d.maxOngoingRequests);
    return pickForModel(this.replicas.running(), model, d.maxOngoingRequests, d.multiplex.maxModelsPerReplica);
  }

  get node(): string {
    return this.replicas.node.id;
  }

  /** Requests waiting for a replica (autoscaling reads this). */
  get queued(): number {
    return this.queuedCount;
  }

  /** A replica has room: hand it the oldest waiting request. */
  dispatch(): void {
    while (this.queuedCount > 0) {
      const head = this.peek();
      if (!head) return;
      const r = this.pick(head.model);
      if (!r) return;
      const w = this.shift();
      if (!w) return;
      w.left = true;
      w.assign(r);
    }
  }

  /** The oldest waiter still queued, left in the queue. */
  private peek(): Waiter | undefined {
    for (let i = this.head; i < this.queue.length; i++) {
      const w = this.queue[i];
      if (w && !w.left) return w;
    }
    return undefined;
  }

  private shift(): Waiter | undefined {
    while (this.head < this.queue.length) {
      const w = this.queue[this.head];
      this.queue[this.head++] = undefined;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      if (w && !w.left) {
        this.queuedCount--;
        return w;
      }
    }
    return undefined;
  }

  /** A replica with room now, undefined when the call must queue; throws the 503 to answer at once. */
  acquire(model?: string): Replica | undefined {
    const d = this.replicas.node.deployment;
    if (this.queuedCount === 0) {
      const r = this.pick(model);
      if (r) return r;
    }
    if (this.replicas.running().length === 0) {
      const down = this.replicas.unavailable();
      if (down) throw down;
    }
    if (this.queuedCount >= d.maxQueuedRequests) {
      // One error per router, made once: under overload refusals are most of the work, and an
      // Error's stack capture was the largest cost of each (bench/overload).
      this.overloaded ??= new RequestError(503, `node ${this.node} is overloaded: ${d.maxQueuedRequests} requests already queued (maxQueuedRequests ${d.maxQueuedRequests})`, {
        node: this.node,
        code: 'overloaded',
        retryAfterS: 1,
      });
      throw this.overloaded;
    }
    return undefined;
  }

  /** @internal RouteCall queues itself here. */
  enqueue(w: Waiter): void {
    // Waiters that timed out or were cancelled stay in the array until shifted; drop them when
    // they outnumber the live ones, so a node that never frees a slot cannot grow it forever.
    const held = this.queue.length - this.head;
    if (held > 64 && held > 2 * this.queuedCount) {
      this.queue = this.queue.slice(this.head).filter((x) => x && !x.left);
      this.head = 0;
    }
    this.queue.push(w);
    this.queuedCount++;
    this.replicas.queued();
  }

  /** @internal A queued RouteCall that finished before it got a replica. */
  leaveQueue(): void {
    this.queuedCount--;
  }

  /** Fail every waiter (the node's load failed with nothing running). */
  failQueued(e: Error): void {
    let w = this.shift();
    while (w) {
      w.left = true;
      w.failed(e);
      w = this.shift();
    }
  }

  /**
   * One call of this node; the completion hears the outcome. No promise and no closures: this runs per node per request.
   * `model`: the model a multiplexed node's request names (executor: requestModelId).
   */
  route(inputs: Record<string, unknown>, requestId: string, cancel: Cancel | undefined, c: RouteCompletion, model?: string): void {
    new RouteCall(this, inputs, requestId, cancel, c, model).go();
  }
}

/**
 * One call's life: queued or sent, retried when its replica dies, timed out,
 * cancelled. A class rather than closures, so a call costs one object.
 */
class RouteCall implements Waiter, CallCompletion, CancelListener {
  left = true;
  private finished = false;
  private attempt = 0;
  private current: Replica | undefined;
  private callId = 0;
  private queueMs = 0;
  private queued = false;
  /** When the call joined the queue; a call that gets a replica at once has waited 0 ms (no clock read). */
  private queuedAt = 0;
  /** Set once the call is admitted (queued or sent): a refused call costs no timer and no listener. */
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly router: Router,
    private readonly inputs: Record<string, unknown>,
    private readonly requestId: string,
    private readonly cancel: Cancel | undefined,
    private readonly c: RouteCompletion,
    readonly model?: string,
  ) {}

  private static timedOut(call: RouteCall): void {
    const d = call.router.replicas.node.deployment;
    const node = call.router.node;
    const hung = call.current;
    call.finish(new RequestError(504, `node ${node} timed out after ${d.timeoutMs} ms (timeoutMs)`, { node, code: 'timeout' }));
    // A call past its timeout means the replica hangs: replace it (its other calls are retried).
    hung?.kill(`call hung past timeoutMs ${d.timeoutMs}`);
  }

  go(): void {
    if (this.finished) return;
    let r: Replica | undefined;
    try {
      r = this.router.acquire(this.model);
    } catch (e) {
      this.finish(e as Error);
      return;
    }
    if (this.timer === undefined) {
      this.timer = setTimeout(RouteCall.timedOut, this.router.replicas.node.deployment.timeoutMs, this);
      // Told at once when the request is already cancelled: the call ends here.
      this.cancel?.on(this);
      if (this.finished) return;
    }
    if (r) this.assign(r);
    else {
      this.left = false;
      this.queued = true;
      if (this.queuedAt === 0) this.queuedAt = performance.now();
      this.router.enqueue(this);
    }
  }

  assign(r: Replica): void {
    this.queued = false;
    if (this.finished) return;
    if (this.queuedAt !== 0) this.queueMs = performance.now() - this.queuedAt;
    this.c.started?.(r.id);
    this.current = r;
    this.callId = r.call(this.inputs, this.requestId, this, this.model);
  }

  cancelled(reason: Error): void {
    if (this.finished) return;
    // A call still in its replica's outbox never reaches the worker: it counts as not started.
    const started = this.current !== undefined && !this.current.cancel(this.callId);
    this.finish(reason, undefined, started);
  }

  token(token: string, index: number): void {
    this.c.token?.(token, index);
  }

  done(res: CallResult): void {
    if (this.finished) return;
    const replica = this.current!;
    this.current = undefined;
    const r: RouteResult = { outputs: res.outputs, replica: replica.id, queueMs: this.queueMs };
    if (res.batchSize !== undefined) {
      r.batchSize = res.batchSize;
      r.batchLead = !!res.batchLead;
    }
    this.finish(undefined, r);
  }

  /** The replica failed the call or died holding it (retried elsewhere while retries last), or the queue gave up on it. */
  failed(e: Error): void {
    this.queued = false;
    if (this.finished) return;
    this.current = undefined;
    if (e instanceof ReplicaLostError && this.attempt < this.router.replicas.node.deployment.retries) {
      this.attempt++;
      this.go();
      return;
    }
    this.finish(translate(e, this.router.node));
  }

  private finish(err: Error | undefined, r?: RouteResult, droppedStarted?: boolean): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.cancel?.off(this);
    }
    if (this.queued && !this.left) {
      this.left = true;
      this.queued = false;
      this.router.leaveQueue();
    }
    if (droppedStarted !== undefined && this.c.dropped) this.c.dropped(droppedStarted);
    else if (err) this.c.failed(err);
    else this.c.done(r!);
  }
}

function translate(e: unknown, node: string): Error {
  if (e instanceof RequestError) return e;
  if (e instanceof NodeCallError) {
    if (e.isInputError) return new RequestError(400, `node ${node}: ${e.message}`, { node, code: 'bad_input', ...(e.inputPath ? { path: e.inputPath } : {}) });
    return new RequestError(500, `node ${node} failed: ${e.message}`, { node, code: 'node_failed' });
  }
  if (e instanceof ReplicaLostError) return new RequestError(500, `node ${node} failed: ${e.message}`, { node, code: 'replica_lost' });
  return e instanceof Error ? e : new Error(String(e));
}
