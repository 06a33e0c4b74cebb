import type { Batching, Deployment } from '../../../shared/deployment.js';
import type { CallContext, NodeInputs, NodeInstance, NodeOutputs } from '../../nodes/types.js';

/**
 * Dynamic batching (Ray Serve's @serve.batch): calls that reach one replica
 * close together are handed to the node's batch() in one model call.
 *
 * `cutBatch` is the whole policy as a pure function; `BatchQueue` is the thin
 * shell around it that owns the queue, the one timer and the promises;
 * `Batcher` adapts it to the replica worker's messages.
 */

export interface BatchLimits {
  maxBatchSize: number;
  batchWaitTimeoutMs: number;
  /**
   * Requests the router lets this replica hold at once (queued here plus inside
   * running batches). When they are all here no more can arrive, so waiting for
   * the timeout would only add latency.
   */
  maxOngoingRequests?: number;
  /** Batches run at once (Ray's max_concurrent_batches); 1 keeps one model call per replica. */
  maxConcurrentBatches?: number;
}

export interface BatchQueueState {
  /** Items waiting for a batch. */
  queued: number;
  /** When the oldest waiting item arrived (ms, same clock as `now`). */
  oldestAt?: number;
  /** Batches handed to the node and not yet answered. */
  running: number;
  /** Items inside those running batches. */
  inRunning: number;
}

export type CutReason = 'full' | 'timeout' | 'replica-full';
export type BatchCut = { kind: 'send'; size: number; why: CutReason } | { kind: 'wait'; ms: number } | { kind: 'idle' };

/**
 * What to do now: send a batch (full, or its oldest item has waited
 * batchWaitTimeoutMs, or the replica holds all it may), wait until the oldest
 * item's deadline, or nothing.
 */
export function cutBatch(s: BatchQueueState, limits: BatchLimits, now: number): BatchCut {
  if (s.queued <= 0) return { kind: 'idle' };
  // A running batch frees its slot by finishing; the shell asks again then.
  if (s.running >= (limits.maxConcurrentBatches ?? 1)) return { kind: 'idle' };
  const size = Math.min(s.queued, limits.maxBatchSize);
  if (s.queued >= limits.maxBatchSize) return { kind: 'send', size, why: 'full' };
  if (limits.maxOngoingRequests !== undefined && s.queued + s.inRunning >= limits.maxOngoingRequests) {
    return { kind: 'send', size, why: 'replica-full' };
  }
  const waited = now - (s.oldestAt ?? now);
  if (waited >= limits.batchWaitTimeoutMs) return { kind: 'send', size, why: 'timeout' };
  return { kind: 'wait', ms: limits.batchWaitTimeoutMs - waited };
}

/**
 * Batches one replica runs at once: one per whole CPU it reserves (its ONNX
 * sessions use one thread each, so a second core would otherwise sit idle
 * while unbatched calls, which run side by side, use it), and one on a GPU,
 * which serialises kernels anyway.
 */
export function concurrentBatches(d: Pick<Deployment, 'resources'>): number {
  return d.resources.gpus > 0 ? 1 : Math.max(1, Math.floor(d.resources.cpus));
}

/** Runs one batch: one result per item, in order; an Error in a slot fails only that item. */
export type BatchRunner<I, O> = (items: I[]) => Promise<(O | Error)[]>;

export interface BatchResult<O> {
  value: O;
  /** Size of the batch this item went in, for traces and metrics. */
  batchSize: number;
  /** True for one answered item per batch (the first), so metrics count each batch once. */
  lead: boolean;
}

export interface BatchQueueOptions<I, O> extends BatchLimits {
  run: BatchRunner<I, O>;
  /** Called once per batch as it is cut (metrics). */
  onBatch?: (size: number, why: CutReason) => void;
  /** Clock, injectable for tests of the shell. */
  now?: () => number;
}

interface Waiting<I, O> {
  item: I;
  at: number;
  resolve: (r: BatchResult<O>) => void;
  reject: (e: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class BatchQueue<I, O> {
  private readonly queue: Waiting<I, O>[] = [];
  private running = 0;
  private inRunning = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private closed: Error | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: BatchQueueOptions<I, O>) {
    if (!(opts.maxBatchSize >= 1)) throw new Error(`maxBatchSize must be at least 1, got ${opts.maxBatchSize}`);
    this.now = opts.now ?? (() => performance.now());
  }

  /** Items waiting plus items in running batches. */
  get ongoing(): number {
    return this.queue.length + this.inRunning;
  }

  get queued(): number {
    return this.queue.length;
  }

  submit(item: I, signal?: AbortSignal): Promise<BatchResult<O>> {
    if (this.closed) return Promise.reject(this.closed);
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
    return new Promise<BatchResult<O>>((resolve, reject) => {
      const w: Waiting<I, O> = { item, at: this.now(), resolve, reject, signal };
      if (signal) {
        // Only a still-waiting item can leave; once in a batch the node owns it.
        w.onAbort = () => {
          const i = this.queue.indexOf(w);
          if (i < 0) return;
          this.queue.splice(i, 1);
          reject(signal.reason ?? new Error('aborted'));
          this.pump();
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.queue.push(w);
      this.pump();
    });
  }

  /** Fails everything still waiting; running batches finish normally. */
  close(reason = new Error('batcher closed')): void {
    this.closed = reason;
    this.clearTimer();
    for (const w of this.queue.splice(0)) this.settle(w, () => w.reject(reason));
  }

  private pump(): void {
    for (;;) {
      const cut = cutBatch(
        { queued: this.queue.length, oldestAt: this.queue[0]?.at, running: this.running, inRunning: this.inRunning },
        this.opts,
        this.now(),
      );
      if (cut.kind === 'idle') {
        this.clearTimer();
        return;
      }
      if (cut.kind === 'wait') {
        this.armTimer(cut.ms);
        return;
      }
      this.clearTimer();
      const batch = this.queue.splice(0, cut.size);
      this.opts.onBatch?.(batch.length, cut.why);
      void this.runBatch(batch);
    }
  }

  private armTimer(ms: number): void {
    const at = this.now() + ms;
    if (this.timer && Math.abs(at - this.timerAt) < 0.5) return;
    this.clearTimer();
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Number.POSITIVE_INFINITY;
        this.pump();
      },
      Math.max(0, Math.ceil(ms)),
    );
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  private async runBatch(batch: Waiting<I, O>[]): Promise<void> {
    this.running++;
    this.inRunning += batch.length;
    try {
      const results = await runIsolated(
        this.opts.run,
        batch.map((w) => w.item),
      );
      const lead = results.findIndex((r) => !(r instanceof Error));
      batch.forEach((w, i) => {
        const r = results[i];
        this.settle(w, () => (r instanceof Error ? w.reject(r) : w.resolve({ value: r, batchSize: batch.length, lead: i === lead })));
      });
    } finally {
      this.running--;
      this.inRunning -= batch.length;
      this.pump();
    }
  }

  private settle(w: Waiting<I, O>, fn: () => void): void {
    if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
    fn();
  }
}

/**
 * Runs a batch so that one bad item fails only its own caller: when the whole
 * call throws (a node that validates its batch at once), the batch is split in
 * halves and retried until the failing items stand alone. A wrong number of
 * results is a node bug and fails every item of that call with a clear message.
 */
export async function runIsolated<I, O>(run: BatchRunner<I, O>, items: I[]): Promise<(O | Error)[]> {
  let results: (O | Error)[];
  try {
    results = await run(items);
  } catch (err) {
    if (items.length === 1) return [toError(err)];
    const mid = Math.ceil(items.length / 2);
    // One half after the other: a replica still runs one model call at a time.
    const a = await runIsolated(run, items.slice(0, mid));
    const b = await runIsolated(run, items.slice(mid));
    return [...a, ...b];
  }
  if (!Array.isArray(results) || results.length !== items.length) {
    const got = Array.isArray(results) ? `${results.length} results` : typeof results;
    const e = new Error(`batch() returned ${got} for ${items.length} items`);
    return items.map(() => e);
  }
  return results;
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** The worker message a batched call answers with (a subset of replicas/messages.ts FromWorker). */
export interface BatchedResultMessage {
  t: 'result';
  id: number;
  outputs: NodeOutputs;
  batchSize: number;
  batchLead: boolean;
}

/** The replica worker's side: calls by message id in, result or error messages out. */
export class Batcher {
  private readonly queue: BatchQueue<{ inputs: NodeInputs; ctx: CallContext }, NodeOutputs>;

  constructor(
    instance: NodeInstance,
    /** With the replica's maxOngoingRequests, so a batch need not wait for calls that cannot come. */
    cfg: Batching & { maxOngoingRequests?: number; maxConcurrentBatches?: number },
    private readonly send: (m: BatchedResultMessage) => void,
    private readonly fail: (id: number, e: unknown) => void,
  ) {
    const batch = instance.batch!.bind(instance);
    this.queue = new BatchQueue({
      maxBatchSize: cfg.maxBatchSize,
      batchWaitTimeoutMs: cfg.batchWaitTimeoutMs,
      ...(cfg.maxOngoingRequests !== undefined ? { maxOngoingRequests: cfg.maxOngoingRequests } : {}),
      ...(cfg.maxConcurrentBatches !== undefined ? { maxConcurrentBatches: cfg.maxConcurrentBatches } : {}),
      run: (items) =>
        batch(
          items.map((i) => i.inputs),
          items.map((i) => i.ctx),
        ),
    });
  }

  add(id: number, inputs: NodeInputs, ctx: CallContext, done: () => void): void {
    this.queue.submit({ inputs, ctx }, ctx.signal).then(
      (r) => {
        done();
        this.send({ t: 'result', id, outputs: r.value, batchSize: r.batchSize, batchLead: r.lead });
      },
      (e) => {
        done();
        this.fail(id, e);
      },
    );
  }
}
