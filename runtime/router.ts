import { NodeCallError, ReplicaLostError, RequestError } from './errors.js';
import type { NodeOutputs } from './nodes/types.js';
import type { CallCallback, Replica } from './replicas/replica.js';
import type { Cancel } from './cancel.js';
import type { ReplicaPool } from './replicas/pool.js';

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
  take: (r: Replica) => void;
  fail: (e: Error) => void;
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
      throw new RequestError(503, `node ${this.node} is overloaded: ${this.queuedCount} requests already queued (maxQueuedRequests ${d.maxQueuedRequests})`, {
        node: this.node,
        code: 'overloaded',
        retryAfterS: 1,
      });
    }
    return undefined;
  }

  private enqueue(take: Waiter['take'], fail: Waiter['fail']): Waiter {
    const w: Waiter = { take, fail, done: false };
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
    return w;
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

  /**
   * One call of this node. Callbacks rather than async/await and AbortSignals:
   * this runs once per node per request, and is most of the runtime's overhead.
   */
  call(inputs: Record<string, unknown>, opts: RouteOptions): Promise<RouteResult> {
    return new Promise<RouteResult>((resolve, reject) => {
      const d = this.pool.node.deployment;
      const node = this.node;
      const t0 = performance.now();
      let attempt = 0;
      let finished = false;
      let current: Replica | undefined;
      let callId = 0;
      let queueMs = 0;
      let waiter: Waiter | undefined;
      let off: (() => void) | undefined;
      const finish = (err: Error | undefined, r?: RouteResult) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        off?.();
        if (waiter && !waiter.done) {
          waiter.done = true;
          this.queuedCount--;
        }
        if (err) reject(err);
        else resolve(r!);
      };
      const timer = setTimeout(() => {
        const hung = current;
        finish(new RequestError(504, `node ${node} timed out after ${d.timeoutMs} ms (timeoutMs)`, { node, code: 'timeout' }));
        // A call past its timeout means the replica hangs: replace it (its other calls are retried).
        hung?.kill(`call hung past timeoutMs ${d.timeoutMs}`);
      }, d.timeoutMs);
      const done: CallCallback = (err, res) => {
        if (finished) return;
        const replica = current!;
        current = undefined;
        if (!err) {
          const r: RouteResult = { outputs: res!.outputs, replica: replica.id, queueMs };
          if (res!.batchSize !== undefined) {
            r.batchSize = res!.batchSize;
            r.batchLead = !!res!.batchLead;
          }
          return finish(undefined, r);
        }
        if (err instanceof ReplicaLostError && attempt < d.retries) {
          attempt++;
          return go();
        }
        finish(translate(err, node));
      };
      const take = (r: Replica) => {
        waiter = undefined;
        if (finished) return;
        queueMs = performance.now() - t0;
        opts.onStart?.(r.id);
        current = r;
        callId = r.call(inputs, opts.requestId, done, opts.onToken);
      };
      const go = () => {
        let r: Replica | undefined;
        try {
          r = this.acquire();
        } catch (e) {
          return finish(e as Error);
        }
        if (r) take(r);
        else waiter = this.enqueue(take, (e) => finish(e));
      };
      if (opts.cancel) {
        off = opts.cancel.on((reason) => {
          if (current) current.cancel(callId);
          finish(reason);
        });
      }
      if (!finished) go();
    });
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
