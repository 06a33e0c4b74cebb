import { NodeCallError, ReplicaLostError, RequestError } from './errors.js';
import type { NodeOutputs } from './nodes/types.js';
import type { Replica } from './replicas/replica.js';
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
  resolve: (r: Replica) => void;
  reject: (e: Error) => void;
  at: number;
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
  signal?: AbortSignal;
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
      w.resolve(r);
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

  private acquire(signal?: AbortSignal): Replica | Promise<Replica> {
    const d = this.pool.node.deployment;
    const r = this.queuedCount === 0 ? pickReplica(this.pool.running(), d.maxOngoingRequests) : undefined;
    if (r) return r;
    const down = this.unavailable();
    if (down) throw down;
    if (this.queuedCount >= d.maxQueuedRequests) {
      throw new RequestError(503, `node ${this.node} is overloaded: ${this.queuedCount} requests already queued (maxQueuedRequests ${d.maxQueuedRequests})`, {
        node: this.node,
        code: 'overloaded',
        retryAfterS: 1,
      });
    }
    return new Promise<Replica>((resolve, reject) => {
      const w: Waiter = { resolve, reject, at: performance.now(), done: false };
      this.queue.push(w);
      this.queuedCount++;
      this.onQueued?.();
      signal?.addEventListener(
        'abort',
        () => {
          if (w.done) return;
          w.done = true;
          this.queuedCount--;
          reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        },
        { once: true },
      );
    });
  }

  /** Fail every waiter (the node's load failed with nothing running). */
  failQueued(e: Error): void {
    let w = this.shift();
    while (w) {
      w.done = true;
      w.reject(e);
      w = this.shift();
    }
  }

  async call(inputs: Record<string, unknown>, opts: RouteOptions): Promise<RouteResult> {
    const d = this.pool.node.deployment;
    const node = this.node;
    const t0 = performance.now();
    let timedOut = false;
    let current: { replica: Replica; id: number } | undefined;
    const timeout = new AbortController();
    const timer = setTimeout(() => {
      timedOut = true;
      timeout.abort(new RequestError(504, `node ${node} timed out after ${d.timeoutMs} ms (timeoutMs)`, { node, code: 'timeout' }));
    }, d.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout.signal]) : timeout.signal;
    try {
      for (let attempt = 0; ; attempt++) {
        const got = this.acquire(signal);
        const replica = got instanceof Promise ? await got : got;
        const queueMs = performance.now() - t0;
        opts.onStart?.(replica.id);
        const { id, done } = replica.call(inputs, opts.requestId, opts.onToken);
        current = { replica, id };
        try {
          const r = await abortable(done, signal);
          return { outputs: r.outputs, replica: replica.id, queueMs, ...(r.batchSize !== undefined ? { batchSize: r.batchSize, batchLead: !!r.batchLead } : {}) };
        } catch (e) {
          if (e instanceof ReplicaLostError && attempt < d.retries && !signal.aborted) {
            current = undefined;
            continue;
          }
          throw e;
        }
      }
    } catch (e) {
      if (timedOut) {
        // A call past its timeout means the replica hangs: replace it (its other calls are retried).
        if (current) current.replica.kill(`call hung past timeoutMs ${d.timeoutMs}`);
        throw signal.reason;
      }
      if (current && signal.aborted) current.replica.cancel(current.id);
      throw translate(e, node);
    } finally {
      clearTimeout(timer);
    }
  }
}

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
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
