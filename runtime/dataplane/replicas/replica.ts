import { Worker } from 'node:worker_threads';
import type { Deployment } from '../../../shared/deployment.js';
import type { Assignment } from '../../../shared/placement.js';
import type { ReplicaState, ReplicaStatus } from '../../../shared/protocol.js';
import { NodeCallError, ReplicaLostError } from '../errors.js';
import { scrub } from '../../security/redact.js';
import type { NodeOutputs } from '../../nodes/types.js';
import type { Completion } from '../completion.js';
import type { FromWorker, InitMessage, MultiplexEvent, ToWorker } from './messages.js';
import { Outbox } from './outbox.js';

const BOOT = new URL('./worker-boot.js', import.meta.url);
const HEALTH_FAILURES_ALLOWED = 3;
/** Calls per postMessage (bench/overhead: 8 gave +15% requests/s over one message per turn at 32 connections). */
const FLUSH_AT = 8;

export interface CallResult {
  outputs: NodeOutputs;
  batchSize?: number;
  batchLead?: boolean;
}

/** Who hears back about a call sent to a replica (the router's RouteCall). */
export interface CallCompletion extends Completion<CallResult> {
  /** A token the node streamed (NodeContext's emitToken). */
  token?(token: string, index: number): void;
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
  /** A multiplexed replica's model event (metrics). */
  onMultiplex?: (event: MultiplexEvent, model: string, ms?: number) => void;
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
  /**
   * A multiplexed replica's models as routing sees them: its last report (loaded or
   * loading) plus the models of calls sent since, so a burst for a new model goes
   * to the replica already loading it.
   */
  models: Set<string> = new Set();
  /** The models the replica reported last (status). */
  private held: readonly string[] = [];
  readonly id: string;
  private worker: Worker | undefined;
  private readonly pending = new Map<number, CallCompletion>();
  /** The start() promise, until the node has loaded or failed to. */
  private loading: { resolve: () => void; reject: (e: Error) => void } | undefined;
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
      this.loading = { resolve, reject };
      worker.on('message', this.receive);
      worker.on('error', (e) => {
        const oom = (e as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
        this.reason = oom ? `out of memory (memoryMb ${mem})` : `crashed: ${e.message}`;
      });
      worker.on('exit', (code) => {
        const reason = this.reason ?? `exited with code ${code}`;
        this.loading?.reject(new Error(reason));
        this.loading = undefined;
        this.leave(reason, this.state !== 'STOPPING');
      });
      worker.postMessage(this.opts.init satisfies ToWorker);
    });
  }

  /** Every message from the worker thread: results, errors and tokens of calls, health answers, the load's outcome, logs. */
  private readonly receive = (m: FromWorker): void => {
    if (m.t === 'result') {
      this.settle(m.id)?.done(m.batchSize !== undefined ? { outputs: m.outputs, batchSize: m.batchSize, batchLead: !!m.batchLead } : { outputs: m.outputs });
    } else if (m.t === 'many') {
      for (const x of m.items) this.receive(x);
    } else if (m.t === 'error') {
      this.settle(m.id)?.failed(new NodeCallError(scrub(m.error), m.path, m.inputError));
    } else if (m.t === 'token') {
      this.pending.get(m.id)?.token?.(m.token, m.index);
    } else if (m.t === 'health') {
      this.healthAnswered(m.id, m.error);
    } else if (m.t === 'ready') {
      const loading = this.loading;
      this.loading = undefined;
      this.setState('RUNNING');
      this.startedAt = Date.now();
      this.scheduleHealth();
      loading?.resolve();
      this.opts.onAvailable(this);
    } else if (m.t === 'loadError') {
      const loading = this.loading;
      this.loading = undefined;
      this.reason = `failed to load: ${scrub(m.error)}`;
      // The thread (its isolate, the tsx loader thread, whatever the node loaded) goes with it;
      // left running, every retry of a model that will not load kept two more threads.
      void this.worker?.terminate();
      this.leave(this.reason, true);
      loading?.reject(new Error(m.error));
    } else if (m.t === 'log') this.opts.log(scrub(m.message));
    else if (m.t === 'count') this.opts.onCount?.(m.event, m.n);
    else if (m.t === 'mux') {
      if (m.held) {
        this.held = m.held;
        this.models = new Set(m.held);
      }
      if (m.ev !== 'held') this.opts.onMultiplex?.(m.ev, m.model, m.ms);
    }
    else if (m.t === 'closed') void this.worker?.terminate();
  };

  /** Send one call; the completion hears the result, the node's error, or ReplicaLostError if the replica dies first. */
  call(inputs: Record<string, unknown>, requestId: string, c: CallCompletion, model?: string): number {
    const id = this.nextId++;
    this.inFlight++;
    this.pending.set(id, c);
    if (model === undefined) this.outbox.push({ t: 'call', id, requestId, inputs });
    else {
      this.models.add(model);
      this.outbox.push({ t: 'call', id, requestId, inputs, model });
    }
    return id;
  }

  /**
   * Cancel a call. One still in this turn's outbox is taken out and never
   * reaches the worker (returns true); one the worker has gets its signal aborted.
   */
  cancel(id: number): boolean {
    if (!this.pending.has(id)) return false;
    if (this.outbox.take((m) => m.t === 'call' && m.id === id)) {
      this.settle(id);
      return true;
    }
    this.outbox.push({ t: 'cancel', id });
    return false;
  }

  /** Calls and cancels of one turn, FLUSH_AT at most per postMessage; nothing is posted once the replica is gone. */
  private readonly outbox = new Outbox<ToWorker>((out) => {
    if (!this.gone) this.worker?.postMessage(out.length === 1 ? out[0] : ({ t: 'many', items: out } satisfies ToWorker));
  }, FLUSH_AT);

  private setState(s: ReplicaState): void {
    if (this.state === s) return;
    this.state = s;
    this.opts.onState?.(this);
  }

  private settle(id: number): CallCompletion | undefined {
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
    for (const p of lost) p.failed(new ReplicaLostError(this.id, reason));
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

  /** Status as the replica knows it; restarts are counted per slot by the pool. */
  status(): Omit<ReplicaStatus, 'restarts'> {
    const a = this.opts.assignment;
    return {
      id: this.id,
      node: this.opts.node,
      state: this.state,
      ...(this.reason !== undefined && this.state !== 'RUNNING' ? { reason: this.reason } : {}),
      placement: { machine: a.machine, gpus: a.gpus, virtualGpus: this.opts.virtualGpus },
      inFlight: this.inFlight,
      ...(this.startedAt !== undefined ? { startedAt: this.startedAt } : {}),
      ...(this.opts.init.multiplex ? { models: [...this.held] } : {}),
    };
  }
}
