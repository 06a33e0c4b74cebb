import { NodeCallError, ReplicaLostError, RequestError } from './errors.js';
import type { NodeOutputs } from '../nodes/types.js';
import type { Cancel, CancelListener } from './cancel.js';
import type { CallResult, CallSink, Replica } from './replicas/replica.js';
import type { ReplicaPool } from '../controlplane/pool.js';

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

interface Waiter {
  take(r: Replica): void;
  fail(e: Error): void;
  done: boolean;
}

export interface RouteResult {
  outputs: NodeOutputs;
  replica: string;
  queueMs: number;
  batchSize?: number;
  /** One item per batch carries this, so metrics count each batch once. */
  batchLead?: boolean;
}

/** Who hears back about a routed call (the executor's per-node object). */
export interface RouteSink {
  routed(r: RouteResult): void;
  routeFailed(e: Error): void;
  /** A replica took the call (socket.io's node:start). */
  routeStarted?(replica: string): void;
  routeToken?(token: string, index: number): void;
  /**
   * The request was cancelled (client gone, timeout, another node failed) before
   * the call answered: started says whether a replica was running it. Without
   * this, the sink hears routeFailed with the reason.
   */
  routeCancelled?(started: boolean): void;
}

export interface RouteOptions {
  requestId: string;
  /** The request's cancellation: the call leaves the queue or is cancelled in its replica. */
  cancel?: Cancel;
  onToken?: (token: string, index: number) => void;
  /** Called when a replica takes the call (socket.io's node:start). */
  onStart?: (replica: string) => void;
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

  /** Called when a request joins the queue (the autoscaler scales from zero on it). */
  onQueued: (() => void) | undefined;

  constructor(readonly pool: ReplicaPool) {}

  get node(): string {
    return this.pool.node.id;
  }

  /** Requests waiting for a replica (autoscaling reads this). */
  get queued(): number {
    return this.queuedCount;
  }

  /** Calls in flight on this node's replicas. */
  get inFlight(): number {
    let n = 0;
    for (const r of this.pool.replicas) n += r.inFlight;
    return n;
  }

  /** A replica has room: hand it the oldest waiting request. */
  dispatch(): void {
    const limit = this.pool.node.deployment.maxOngoingRequests;
    while (this.queuedCount > 0) {
      const r = pickReplica(this.pool.running(), limit);
      if (!r) return;
      const w = this.shift();
      if (!w) return;
      w.done = true;
      w.take(r);
    }
  }

  private shift(): Waiter | undefined {
    while (this.head < this.queue.length) {
      const w = this.queue[this.head];
      this.queue[this.head++] = undefined;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      if (w && !w.done) {
        this.queuedCount--;
        return w;
      }
    }
    return undefined;
  }

  private unavailable(): RequestError | undefined {
    const p = this.pool;
    if (p.running().length > 0) return undefined;
    const node = p.node.id;
    const d = p.node.deployment;
    // numReplicas 0 without autoscaling: no replica will ever come, so waiting for one only ends in a 504.
    if (d.numReplicas === 0 && !d.autoscaling) {
      return new RequestError(503, `node ${node} has no replicas (numReplicas 0 and no autoscaling): set numReplicas or autoscaling and redeploy`, { node, code: 'node_unavailable' });
    }
    if (p.loadError) return new RequestError(503, `node ${node} is unavailable: ${p.loadError}`, { node, code: 'node_unavailable', retryAfterS: 5 });
    const blocked = p.blockedReason();
    if (blocked) return new RequestError(503, `node ${node} has no replica running: PENDING, ${blocked}`, { node, code: 'node_pending', retryAfterS: 5 });
    return undefined;
  }

  /** A replica with room now, undefined when the request must queue, or the 503 to answer at once. */
  private acquire(): Replica | undefined {
    const d = this.pool.node.deployment;
    if (this.queuedCount === 0) {
      const r = pickReplica(this.pool.running(), d.maxOngoingRequests);
      if (r) return r;
    }
    const down = this.unavailable();
    if (down) throw down;
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
      this.queue = this.queue.slice(this.head).filter((x) => x && !x.done);
      this.head = 0;
    }
    this.queue.push(w);
    this.queuedCount++;
    this.onQueued?.();
  }

  /** @internal A queued RouteCall that finished before it got a replica. */
  leaveQueue(): void {
    this.queuedCount--;
  }

  /** Fail every waiter (the node's load failed with nothing running). */
  failQueued(e: Error): void {
    let w = this.shift();
    while (w) {
      w.done = true;
      w.fail(e);
      w = this.shift();
    }
  }

  /** @internal A replica with room now, undefined when the call must queue; throws the 503 to answer at once. */
  acquireOrQueue(): Replica | undefined {
    return this.acquire();
  }

  /** One call of this node; the sink hears the outcome. No promise and no closures: this runs per node per request. */
  route(inputs: Record<string, unknown>, requestId: string, cancel: Cancel | undefined, sink: RouteSink): void {
    new RouteCall(this, inputs, requestId, cancel, sink).go();
  }

  /** route() as a promise, for callers off the hot path. */
  call(inputs: Record<string, unknown>, opts: RouteOptions): Promise<RouteResult> {
    return new Promise<RouteResult>((resolve, reject) => {
      this.route(inputs, opts.requestId, opts.cancel, {
        routed: resolve,
        routeFailed: reject,
        ...(opts.onStart ? { routeStarted: opts.onStart } : {}),
        ...(opts.onToken ? { routeToken: opts.onToken } : {}),
      });
    });
  }
}

/**
 * One call's life: queued or sent, retried when its replica dies, timed out,
 * cancelled. A class rather than closures, so a call costs one object.
 */
class RouteCall implements Waiter, CallSink, CancelListener {
  done = false;
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
    private readonly sink: RouteSink,
  ) {
  }

  private static timedOut(c: RouteCall): void {
    const d = c.router.pool.node.deployment;
    const node = c.router.node;
    const hung = c.current;
    c.finish(new RequestError(504, `node ${node} timed out after ${d.timeoutMs} ms (timeoutMs)`, { node, code: 'timeout' }));
    // A call past its timeout means the replica hangs: replace it (its other calls are retried).
    hung?.kill(`call hung past timeoutMs ${d.timeoutMs}`);
  }

  go(): void {
    if (this.finished) return;
    let r: Replica | undefined;
    try {
      r = this.router.acquireOrQueue();
    } catch (e) {
      this.finish(e as Error);
      return;
    }
    if (this.timer === undefined) {
      this.timer = setTimeout(RouteCall.timedOut, this.router.pool.node.deployment.timeoutMs, this);
      // Told at once when the request is already cancelled: the call ends here.
      this.cancel?.on(this);
      if (this.finished) return;
    }
    if (r) this.take(r);
    else {
      this.done = false;
      this.queued = true;
      if (this.queuedAt === 0) this.queuedAt = performance.now();
      this.router.enqueue(this);
    }
  }

  take(r: Replica): void {
    this.queued = false;
    if (this.finished) return;
    if (this.queuedAt !== 0) this.queueMs = performance.now() - this.queuedAt;
    this.sink.routeStarted?.(r.id);
    this.current = r;
    this.callId = r.call(this.inputs, this.requestId, this);
  }

  fail(e: Error): void {
    this.queued = false;
    this.finish(e);
  }

  cancelled(reason: Error): void {
    if (this.finished) return;
    // A call still in its replica's outbox never reaches the worker: it counts as not started.
    const started = this.current !== undefined && !this.current.cancel(this.callId);
    this.finish(reason, undefined, started);
  }

  callToken(token: string, index: number): void {
    this.sink.routeToken?.(token, index);
  }

  callDone(err: Error | undefined, res?: CallResult): void {
    if (this.finished) return;
    const replica = this.current!;
    this.current = undefined;
    if (!err) {
      const r: RouteResult = { outputs: res!.outputs, replica: replica.id, queueMs: this.queueMs };
      if (res!.batchSize !== undefined) {
        r.batchSize = res!.batchSize;
        r.batchLead = !!res!.batchLead;
      }
      this.finish(undefined, r);
      return;
    }
    if (err instanceof ReplicaLostError && this.attempt < this.router.pool.node.deployment.retries) {
      this.attempt++;
      this.go();
      return;
    }
    this.finish(translate(err, this.router.node));
  }

  private finish(err: Error | undefined, r?: RouteResult, cancelledStarted?: boolean): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.cancel?.off(this);
    }
    if (this.queued && !this.done) {
      this.done = true;
      this.queued = false;
      this.router.leaveQueue();
    }
    if (cancelledStarted !== undefined && this.sink.routeCancelled) this.sink.routeCancelled(cancelledStarted);
    else if (err) this.sink.routeFailed(err);
    else this.sink.routed(r!);
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
