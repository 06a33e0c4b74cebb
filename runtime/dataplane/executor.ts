import type { Plan, PlanNode } from '../../shared/plan.js';
import type { TraceSpan } from '../../shared/protocol.js';
import { Cancel, type CancelListener } from './cancel.js';
import { clientGone, RequestError, toRequestError } from './errors.js';
import { INLINE_NODES } from './inline/index.js';
import type { NodeInputs, NodeOutputs } from '../nodes/types.js';
import type { RouteResult, RouteSink, Router } from './router.js';

export interface ExecHooks {
  onStart?: (node: string, replica: string | undefined, at: number) => void;
  onEnd?: (node: string, span: TraceSpan, outputs: NodeOutputs) => void;
  onError?: (node: string, error: RequestError) => void;
  onToken?: (node: string, token: string, index: number) => void;
}

export interface Executable {
  plan: Plan;
  routers: ReadonlyMap<string, Router>;
  /** Per-node outcome, for metrics. */
  observe?: (node: PlanNode, ms: number, ok: boolean, batchSize?: number) => void;
  /** A node call dropped because its request ended first: before a replica started it, or while running (its result is discarded). */
  observeCancel?: (node: PlanNode, started: boolean) => void;
}

export interface ExecOptions {
  requestId: string;
  /** Overall request timeout (504 naming the nodes still running). */
  timeoutMs: number;
  hooks?: ExecHooks;
  /** Aborted when the caller goes away. */
  signal?: AbortSignal;
  /**
   * The request's cancellation, aborted by the caller when its client goes away
   * (the data plane and socket.io pass one; cheaper than a signal). The run ends
   * with the reason, and its queued and unsent node calls never start.
   */
  cancel?: Cancel;
  /** false: build no trace spans (the data plane asks only for ?trace=1); hooks still get theirs. Default true. */
  trace?: boolean;
}

/** Who hears how a request ended (execute() without a promise: the data plane's path). */
export interface ExecSink {
  done(r: ExecResult): void;
  failed(e: Error): void;
}

export interface ExecResult {
  output: unknown;
  trace: TraceSpan[];
}

const SKIPPED = null;
const round = (ms: number) => Math.round(ms * 100) / 100;

/** Values on a node's input ports, or undefined when a required one never arrived (branch not taken). */
function gatherInputs(n: PlanNode, results: Map<string, NodeOutputs | null>): NodeInputs | undefined {
  if (n.incoming.length === 0) return {};
  const inputs: NodeInputs = {};
  let any = false;
  for (const port of n.inputs) {
    let got: unknown;
    for (const e of n.incoming) {
      if (e.targetHandle !== port.name) continue;
      const v = results.get(e.source)?.[e.sourceHandle];
      if (v === undefined) continue;
      if (!port.multiple) got = v;
      else {
        const rec = (got ?? {}) as Record<string, unknown>;
        rec[e.source] = v;
        got = rec;
      }
    }
    if (got === undefined) {
      if (port.required) return undefined;
      continue;
    }
    inputs[port.name] = got;
    any = true;
  }
  return any ? inputs : undefined;
}

/**
 * One request through a plan. A node starts as soon as all its upstream nodes
 * are done, so independent branches overlap; a join waits for every input; a
 * node whose inputs were not produced (switch branch not taken) is skipped.
 * The first failure ends the request and names its node.
 */
export function execute(x: Executable, body: unknown, opts: ExecOptions): Promise<ExecResult> {
  return new Promise<ExecResult>((resolve, reject) => new Run(x, body, opts, { done: resolve, failed: reject }).begin());
}

/** execute() telling a sink instead of settling a promise: one object fewer per request. */
export function executeTo(x: Executable, body: unknown, opts: ExecOptions, sink: ExecSink): void {
  new Run(x, body, opts, sink).begin();
}

/** The state of one request; a class so the hot path allocates objects, not closures. */
class Run implements CancelListener {
  readonly t0 = performance.now();
  readonly results = new Map<string, NodeOutputs | null>();
  private readonly waiting = new Map<string, number>();
  private readonly running = new Set<string>();
  readonly trace: TraceSpan[] = [];
  readonly cancel: Cancel;
  private left: number;
  finished = false;
  /** Armed once begin() has started the roots and the run did not end there (a refusal ends at once, timer-free). */
  private timer: NodeJS.Timeout | undefined;
  /** Spans are built when the caller wants the trace or hooks are there to hear them. */
  readonly tracing: boolean;

  constructor(
    readonly x: Executable,
    private readonly body: unknown,
    readonly opts: ExecOptions,
    private readonly sink: ExecSink,
  ) {
    this.tracing = opts.trace !== false || opts.hooks !== undefined;
    const external = opts.cancel ?? (opts.signal ? Cancel.from(opts.signal) : undefined);
    this.cancel = external ?? new Cancel();
    this.left = x.plan.order.length;
    // First listener: the run has ended before its node calls hear the reason.
    external?.on(this);
  }

  /** The caller aborted the request (its client went away). */
  cancelled(reason: Error): void {
    this.fail(reason instanceof RequestError ? reason : clientGone('the client'));
  }

  private static timedOut(run: Run): void {
    const names = [...run.running];
    run.fail(new RequestError(504, `request timed out after ${run.opts.timeoutMs} ms${names.length ? ` waiting for ${names.join(', ')}` : ''}`, { ...(names[0] ? { node: names[0] } : {}), code: 'timeout' }));
  }

  begin(): void {
    const { plan } = this.x;
    for (const id of plan.order) this.waiting.set(id, plan.nodes[id].upstream.length);
    // Roots are collected first: an inline root completes synchronously and may start its
    // downstream nodes, which this loop must not start a second time.
    const roots = plan.order.filter((id) => this.waiting.get(id) === 0);
    for (const id of roots) this.start(plan.nodes[id]);
    if (!this.finished) this.timer = setTimeout(Run.timedOut, this.opts.timeoutMs, this);
  }

  fail(e: RequestError): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.cancel.abort(e);
    this.sink.failed(e);
  }

  complete(id: string, outputs: NodeOutputs | null): void {
    const { plan } = this.x;
    this.results.set(id, outputs);
    this.running.delete(id);
    if (--this.left === 0) {
      this.finished = true;
      if (this.timer) clearTimeout(this.timer);
      this.sink.done({ output: finalOutput(plan, this.results), trace: this.trace });
      return;
    }
    for (const d of plan.nodes[id].downstream) {
      const w = this.waiting.get(d)! - 1;
      this.waiting.set(d, w);
      if (w === 0) this.start(plan.nodes[d]);
    }
  }

  since(): number {
    return round(performance.now() - this.t0);
  }

  private start(n: PlanNode): void {
    if (this.finished) return;
    const inputs = gatherInputs(n, this.results);
    const at = this.since();
    const hooks = this.opts.hooks;
    if (!inputs) {
      if (this.tracing) this.trace.push({ node: n.id, kind: n.kind, start: at, end: at, queueMs: 0, status: 'skipped' });
      this.complete(n.id, SKIPPED);
      return;
    }
    this.running.add(n.id);
    if (n.runsIn === 'executor') {
      const inline = INLINE_NODES[n.kind];
      try {
        if (!inline) throw new RequestError(500, `node ${n.id}: kind ${n.kind} has no inline implementation`, { node: n.id });
        hooks?.onStart?.(n.id, undefined, Date.now());
        const outputs = inline(n, inputs, this.body);
        if (this.tracing) {
          const span: TraceSpan = { node: n.id, kind: n.kind, start: at, end: this.since(), queueMs: 0, status: 'ok' };
          this.trace.push(span);
          hooks?.onEnd?.(n.id, span, outputs);
        }
        this.complete(n.id, outputs);
      } catch (e) {
        this.nodeFailed(n, at, toRequestError(e, n.id));
      }
      return;
    }
    const router = this.x.routers.get(n.id);
    if (router) router.route(inputs, this.opts.requestId, this.cancel, new NodeCall(this, n, at));
    else this.nodeFailed(n, at, new RequestError(503, `node ${n.id} has no replicas`, { node: n.id, code: 'node_unavailable' }));
  }

  nodeFailed(n: PlanNode, at: number, e: RequestError): void {
    if (this.finished) return;
    if (this.tracing) this.trace.push({ node: n.id, kind: n.kind, start: at, end: this.since(), queueMs: 0, status: 'error' });
    this.opts.hooks?.onError?.(n.id, e);
    this.fail(e);
  }
}

/** One replica-backed node's call within a run: hears the router's answer. */
class NodeCall implements RouteSink {
  constructor(
    private readonly run: Run,
    private readonly n: PlanNode,
    private readonly at: number,
  ) {}

  routeStarted(replica: string): void {
    this.run.opts.hooks?.onStart?.(this.n.id, replica, Date.now());
  }

  routeToken(token: string, index: number): void {
    this.run.opts.hooks?.onToken?.(this.n.id, token, index);
  }

  routeCancelled(started: boolean): void {
    this.run.x.observeCancel?.(this.n, started);
  }

  routed(r: RouteResult): void {
    const { run, n, at } = this;
    const end = run.since();
    const span: TraceSpan | undefined = run.tracing
      ? { node: n.id, kind: n.kind, replica: r.replica, start: at, end, queueMs: round(r.queueMs), status: 'ok', ...(r.batchSize !== undefined ? { batchSize: r.batchSize } : {}) }
      : undefined;
    if (span) run.trace.push(span);
    // Batch sizes are observed once per batch (by its lead item), not once per request.
    run.x.observe?.(n, end - at, true, r.batchLead ? r.batchSize : undefined);
    if (run.finished) return;
    if (span) run.opts.hooks?.onEnd?.(n.id, span, r.outputs);
    run.complete(n.id, r.outputs);
  }

  routeFailed(e: Error): void {
    const { run, n, at } = this;
    run.x.observe?.(n, run.since() - at, false);
    run.nodeFailed(n, at, toRequestError(e, n.id));
  }
}

function finalOutput(plan: Plan, results: Map<string, NodeOutputs | null>): unknown {
  if (plan.multipleOutputs) {
    const out: Record<string, unknown> = {};
    for (const id of plan.outputNodes) {
      const v = results.get(id)?.value;
      if (v !== undefined) out[id] = v;
    }
    return out;
  }
  return results.get(plan.outputNodes[0])?.value ?? null;
}
