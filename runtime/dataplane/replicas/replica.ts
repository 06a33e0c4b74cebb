import { Worker } from 'node:worker_threads';
import type { Deployment } from '../../../shared/deployment.js';
import type { Assignment } from '../../../shared/placement.js';
import type { ReplicaState, ReplicaStatus } from '../../../shared/protocol.js';
import { NodeCallError, ReplicaLostError } from '../errors.js';
import { scrub } from '../../security/redact.js';
import type { NodeOutputs } from '../../nodes/types.js';
import type { FromWorker, InitMessage, ToWorker } from './messages.js';

const BOOT = new URL('./worker-boot.js', import.meta.url);
const HEALTH_FAILURES_ALLOWED = 3;
/** Calls per postMessage (bench/overhead: 8 gave +15% requests/s over one message per turn at 32 connections). */
const FLUSH_AT = 8;

export interface CallResult {
  outputs: NodeOutputs;
  batchSize?: number;
  batchLead?: boolean;
}

/** Who hears back about a call: an object, so the hot path allocates no closures per call. */
export interface CallSink {
  callDone(err: Error | undefined, result?: CallResult): void;
  callToken?(token: string, index: number): void;
}

/**
 * Replica threads alive in one server: counted up when a worker is created and down on its
 * 'exit' event (the thread is gone), so a thread that was never ended shows here
 * (`beamline_replica_threads`).
 */
export class ThreadCount {
  live = 0;
}

export interface ReplicaOptions {
  id: string;
  node: string;
  deployment: Deployment;
  init: InitMessage;
  assignment: Assignment;
  virtualGpus: boolean;
  log: (message: string) => void;
  /** The node counted something (NodeContext.count). */
  onCount?: (event: string, n: number) => void;
  /** Called once when the replica leaves service for good (died, failed to load, stopped). */
  onGone: (replica: Replica, reason: string, failed: boolean) => void;
  /** Called when it starts taking work or frees a slot: the router dispatches queued requests. */
  onAvailable: (replica: Replica) => void;
  /** Called on every state change (the pool caches its RUNNING list). */
  onState?: (replica: Replica) => void;
  threads?: ThreadCount;
}

/**
 * A replica on a worker thread (chosen over child processes by measurement:
 * see docs/runtime.md). Owns the thread, its in-flight calls and its health
 * checks; decisions about replacing it belong to the pool.
 */
export class Replica {
  state: ReplicaState = 'STARTING';
  reason: string | undefined;
  inFlight = 0;
  startedAt: number | undefined;
  readonly id: string;
  private worker: Worker | undefined;
  private readonly pending = new Map<number, CallSink>();
  private nextId = 1;
  private healthTimer: NodeJS.Timeout | undefined;
  private healthFailures = 0;
  private readonly healthWaits = new Map<number, NodeJS.Timeout>();
  private gone = false;
  private drained: (() => void) | undefined;
  /** Resolves when the thread has ended (its 'exit' event), or at once when it never started. */
  exited: Promise<void> = Promise.resolve();

  constructor(readonly opts: ReplicaOptions) {
    this.id = opts.id;
  }

  get assignment(): Assignment {
    return this.opts.assignment;
  }

  /** Start the thread and load the node; resolves when RUNNING, rejects with the load error. */
  start(): Promise<void> {
    const mem = this.opts.deployment.resources.memoryMb;
    const worker = new Worker(BOOT, {
      ...(mem > 0 ? { resourceLimits: { maxOldGenerationSizeMb: mem } } : {}),
      stdout: false,
      stderr: false,
    });
    this.worker = worker;
    const threads = this.opts.threads;
    if (threads) threads.live++;
    this.exited = new Promise((done) =>
      worker.once('exit', () => {
        if (threads) threads.live--;
        done();
      }),
    );
    return new Promise((resolve, reject) => {
      let loading = true;
      const handle = (m: FromWorker): void => {
        if (m.t === 'result') {
          this.settle(m.id)?.callDone(undefined, m.batchSize !== undefined ? { outputs: m.outputs, batchSize: m.batchSize, batchLead: !!m.batchLead } : { outputs: m.outputs });
        } else if (m.t === 'many') {
          for (const x of m.items) handle(x);
        } else if (m.t === 'error') {
          this.settle(m.id)?.callDone(new NodeCallError(scrub(m.error), m.path, m.inputError));
        } else if (m.t === 'token') {
          this.pending.get(m.id)?.callToken?.(m.token, m.index);
        } else if (m.t === 'health') {
          this.healthAnswered(m.id, m.error);
        } else if (m.t === 'ready') {
          loading = false;
          this.setState('RUNNING');
          this.startedAt = Date.now();
          this.scheduleHealth();
          resolve();
          this.opts.onAvailable(this);
        } else if (m.t === 'loadError') {
          loading = false;
          this.reason = `failed to load: ${scrub(m.error)}`;
          // The thread (its isolate, the tsx loader thread, whatever the node loaded) goes with it;
          // left running, every retry of a model that will not load kept two more threads.
          void worker.terminate();
          this.leave(this.reason, true);
          reject(new Error(m.error));
        } else if (m.t === 'log') this.opts.log(scrub(m.message));
        else if (m.t === 'count') this.opts.onCount?.(m.event, m.n);
        else if (m.t === 'closed') void worker.terminate();
      };
      worker.on('message', handle);
      worker.on('error', (e) => {
        const oom = (e as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
        this.reason = oom ? `out of memory (memoryMb ${mem})` : `crashed: ${e.message}`;
      });
      worker.on('exit', (code) => {
        const reason = this.reason ?? `exited with code ${code}`;
        if (loading) reject(new Error(reason));
        this.leave(reason, this.state !== 'STOPPING');
      });
      worker.postMessage(this.opts.init satisfies ToWorker);
    });
  }

  /** Send one call; the sink gets the result, the node's error, or ReplicaLostError if the replica dies first. */
  call(inputs: Record<string, unknown>, requestId: string, sink: CallSink): number {
    const id = this.nextId++;
    this.inFlight++;
    this.pending.set(id, sink);
    this.send({ t: 'call', id, requestId, inputs });
    return id;
  }

  /**
   * Cancel a call. One still in this turn's outbox is taken out and never
   * reaches the worker (returns true); one the worker has gets its signal aborted.
   */
  cancel(id: number): boolean {
    if (!this.pending.has(id)) return false;
    const out = this.outbox;
    for (let i = out.length - 1; i >= 0; i--) {
      const m = out[i];
      if (m.t === 'call' && m.id === id) {
        out.splice(i, 1);
        this.settle(id);
        return true;
      }
    }
    this.send({ t: 'cancel', id });
    return false;
  }

  private outbox: ToWorker[] = [];
  private flushing = false;
  /**
   * Messages sent in one turn of the event loop go as one postMessage, FLUSH_AT at most:
   * a turn that reads many requests would otherwise hold the replica idle until the main
   * thread is done with all of them, and every request moves in one convoy.
   */
  private send(m: ToWorker): void {
    this.outbox.push(m);
    if (this.outbox.length >= FLUSH_AT) this.post();
    else if (!this.flushing) {
      this.flushing = true;
      setImmediate(this.flush);
    }
  }
  private readonly flush = (): void => {
    this.flushing = false;
    this.post();
  };
  private post(): void {
    const out = this.outbox;
    if (out.length === 0) return;
    this.outbox = [];
    if (this.gone) return;
    this.worker?.postMessage(out.length === 1 ? out[0] : ({ t: 'many', items: out } satisfies ToWorker));
  }

  private setState(s: ReplicaState): void {
    if (this.state === s) return;
    this.state = s;
    this.opts.onState?.(this);
  }

  private settle(id: number): CallSink | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    this.inFlight--;
    if (this.state === 'STOPPING' && this.inFlight === 0) this.drained?.();
    else if (this.state === 'RUNNING') this.opts.onAvailable(this);
    return p;
  }

  private scheduleHealth(): void {
    const { healthCheckPeriodMs, healthCheckTimeoutMs } = this.opts.deployment;
    this.healthTimer = setInterval(() => {
      if (this.state !== 'RUNNING') return;
      const id = this.nextId++;
      this.healthWaits.set(
        id,
        setTimeout(() => this.healthAnswered(id, `no answer within healthCheckTimeoutMs ${healthCheckTimeoutMs}`), healthCheckTimeoutMs),
      );
      this.worker?.postMessage({ t: 'health', id } satisfies ToWorker);
    }, healthCheckPeriodMs);
    this.healthTimer.unref();
  }

  private healthAnswered(id: number, error?: string): void {
    const t = this.healthWaits.get(id);
    if (!t) return;
    clearTimeout(t);
    this.healthWaits.delete(id);
    if (!error) {
      this.healthFailures = 0;
      return;
    }
    this.healthFailures++;
    if (this.healthFailures >= HEALTH_FAILURES_ALLOWED) this.kill(`failed ${this.healthFailures} health checks: ${error}`);
  }

  /** Terminate at once; in-flight calls fail with ReplicaLostError (the router retries them). */
  kill(reason: string): void {
    if (this.gone) return;
    this.reason = reason;
    this.setState('UNHEALTHY');
    void this.worker?.terminate();
    this.leave(reason, true);
  }

  /** Take no new work, finish what it has (up to gracefulShutdownTimeoutMs), then stop. */
  async drain(): Promise<void> {
    if (this.gone) return;
    this.setState('STOPPING');
    this.reason = 'draining';
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        this.drained = resolve;
        setTimeout(resolve, this.opts.deployment.gracefulShutdownTimeoutMs).unref();
      });
    }
    if (this.gone) return;
    const w = this.worker;
    this.leave('stopped', false);
    if (w) {
      // Let the node close its resources, but never wait on it for long.
      w.postMessage({ t: 'close' } satisfies ToWorker);
      await Promise.race([new Promise((r) => w.once('exit', r)), new Promise((r) => setTimeout(r, 1000).unref())]);
      await w.terminate();
    }
  }

  private leave(reason: string, failed: boolean): void {
    if (this.gone) return;
    this.gone = true;
    clearInterval(this.healthTimer);
    for (const t of this.healthWaits.values()) clearTimeout(t);
    this.healthWaits.clear();
    this.setState(failed ? 'UNHEALTHY' : 'STOPPED');
    const lost = [...this.pending.values()];
    this.pending.clear();
    this.inFlight = 0;
    for (const p of lost) p.callDone(new ReplicaLostError(this.id, reason));
    this.opts.onGone(this, reason, failed);
  }

  /** The worker thread id, for tests and tools that kill a replica from outside. */
  get threadId(): number | undefined {
    return this.worker?.threadId;
  }

  /** Terminate the thread as a crash would (fault injection in tests). */
  terminateThread(): Promise<number> | undefined {
    return this.worker?.terminate();
  }

  status(): ReplicaStatus {
    const a = this.opts.assignment;
    return {
      id: this.id,
      node: this.opts.node,
      state: this.state,
      ...(this.reason !== undefined && this.state !== 'RUNNING' ? { reason: this.reason } : {}),
      placement: { machine: a.machine, gpus: a.gpus, virtualGpus: this.opts.virtualGpus },
      inFlight: this.inFlight,
      ...(this.startedAt !== undefined ? { startedAt: this.startedAt } : {}),
      restarts: 0,
    };
  }
}
