import type { Plan, PlanNode } from '../../shared/plan.js';
import type { TraceSpan } from '../../shared/protocol.js';
import type { NodeInputs, NodeOutputs } from '../nodes/types.js';
import { Cancel, type CancelListener } from './cancel.js';
import type { Completion } from './completion.js';
import { clientGone, RequestError, toRequestError } from './errors.js';
import { inlineNode } from '../kinds.js';
import type { ServedGraph } from './interface.js';
import { requestModelId } from './multiplex.js';
import type { RouteCompletion, RouteResult } from './router.js';

export interface ExecHooks {
  onStart?: (node: string, replica: string | undefined, at: number) => void;
  onEnd?: (node: string, span: TraceSpan, outputs: NodeOutputs) => void;
  onError?: (node: string, error: RequestError) => void;
  onToken?: (node: string, token: string, index: number) => void;
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
  /** The request's headers, lower-case names (node:http's shape): read by split stickiness and multiplexed model ids. */
  headers?: RequestHeaders;
}

/** Request headers with lower-case names, as node:http gives them. */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** One header's value: the first when it was sent more than once. */
export function headerValue(headers: RequestHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  return Array.isArray(v) ? v[0] : v;
}

export interface ExecResult {
  requestId: string;
  output: unknown;
  /** Empty unless spans were asked for (ExecOptions.trace). */
  trace: TraceSpan[];
}

const SKIPPED = null;
const round = (ms: number) => Math.round(ms * 100) / 100;

/** Values on a node's input ports, or undefined when a required one never arrived (branch not taken). */
export function gatherInputs(n: PlanNode, results: Map<string, NodeOutputs | null>): NodeInputs | undefined {
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
 * The first failure ends the request and names its node. No promise: the
 * completion hears the end.
 */
export function execute(graph: ServedGraph, body: unknown, opts: ExecOptions, c: Completion<ExecResult>): void {
  new Run(graph, body, opts, c).begin();
}

/** The state of one request; a class so the hot path allocates objects, not closures. */
class Run implements CancelListener {
  private readonly t0 = performance.now();
  private readonly results = new Map<string, NodeOutputs | null>();
  private readonly waiting = new Map<string, number>();
  private readonly running = new Set<string>();
  private readonly trace: TraceSpan[] = [];
  private readonly cancel: Cancel;
  private left: number;
  private finished = false;
  /** Armed once begin() has started the roots and the run did not end there (a refusal ends at once, timer-free). */
  private timer: NodeJS.Timeout | undefined;
  /** Spans are built when the caller wants the trace or hooks are there to hear them. */
  private readonly tracing: boolean;

  constructor(
    private readonly graph: ServedGraph,
    private readonly body: unknown,
    private readonly opts: ExecOptions,
    private readonly c: Completion<ExecResult>,
  ) {
    this.tracing = opts.trace !== false || opts.hooks !== undefined;
    const external = opts.cancel ?? (opts.signal ? Cancel.from(opts.signal) : undefined);
    this.cancel = external ?? new Cancel();
    this.left = graph.plan.order.length;
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
    const { plan } = this.graph;
    for (const id of plan.order) this.waiting.set(id, plan.nodes[id].upstream.length);
    // Roots are collected first: an inline root completes synchronously and may start its
    // downstream nodes, which this loop must not start a second time.
    const roots = plan.order.filter((id) => this.waiting.get(id) === 0);
    for (const id of roots) this.start(plan.nodes[id]);
    if (!this.finished) this.timer = setTimeout(Run.timedOut, this.opts.timeoutMs, this);
  }

  private fail(e: RequestError): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.cancel.abort(e);
    this.c.failed(e);
  }

  private complete(id: string, outputs: NodeOutputs | null): void {
    const { plan } = this.graph;
    this.results.set(id, outputs);
    this.running.delete(id);
    if (--this.left === 0) {
      this.finished = true;
      if (this.timer) clearTimeout(this.timer);
      this.c.done({ requestId: this.opts.requestId, output: finalOutput(plan, this.results), trace: this.trace });
      return;
    }
    for (const d of plan.nodes[id].downstream) {
      const w = this.waiting.get(d)! - 1;
      this.waiting.set(d, w);
      if (w === 0) this.start(plan.nodes[d]);
    }
  }

  private since(): number {
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
      const inline = inlineNode(n.kind);
      try {
        if (!inline) throw new RequestError(500, `node ${n.id}: kind ${n.kind} has no inline implementation`, { node: n.id });
        hooks?.onStart?.(n.id, undefined, Date.now());
        const outputs = inline(n, inputs, this.body, this.opts.headers);
        if (this.tracing) {
          const span: TraceSpan = { node: n.id, kind: n.kind, start: at, end: this.since(), queueMs: 0, status: 'ok' };
          this.trace.push(span);
          hooks?.onEnd?.(n.id, span, outputs);
        }
        this.complete(n.id, outputs);
      } catch (e) {
        this.failNode(n, at, toRequestError(e, n.id));
      }
      return;
    }
    const router = this.graph.routers.get(n.id);
    if (router) {
      const mux = n.deployment.multiplex;
      let model: string | undefined;
      if (mux) {
        try {
          model = requestModelId(mux, this.opts.headers, this.body, n.id, router.models);
        } catch (e) {
          this.failNode(n, at, toRequestError(e, n.id));
          return;
        }
      }
      router.route(inputs, this.opts.requestId, this.cancel, new NodeCall(this, n, at), model);
    } else this.failNode(n, at, new RequestError(503, `node ${n.id} has no replicas`, { node: n.id, code: 'node_unavailable' }));
  }

  /** A replica took node n's call. */
  nodeStarted(n: PlanNode, replica: string): void {
    this.opts.hooks?.onStart?.(n.id, replica, Date.now());
  }

  nodeToken(n: PlanNode, token: string, index: number): void {
    this.opts.hooks?.onToken?.(n.id, token, index);
  }

  /** Node n's call was dropped because the request ended first. */
  nodeDropped(n: PlanNode, started: boolean): void {
    this.graph.observeCancel(n, started);
  }

  /** Node n (started at `at`) answered. */
  nodeDone(n: PlanNode, at: number, r: RouteResult): void {
    const end = this.since();
    const span: TraceSpan | undefined = this.tracing
      ? { node: n.id, kind: n.kind, replica: r.replica, start: at, end, queueMs: round(r.queueMs), status: 'ok', ...(r.batchSize !== undefined ? { batchSize: r.batchSize } : {}) }
      : undefined;
    if (span) this.trace.push(span);
    // Batch sizes are observed once per batch (by its lead item), not once per request.
    this.graph.observe(n, end - at, true, r.batchLead ? r.batchSize : undefined);
    if (this.finished) return;
    if (span) this.opts.hooks?.onEnd?.(n.id, span, r.outputs);
    this.complete(n.id, r.outputs);
  }

  /** Node n's call (started at `at`) failed: counted, and the request fails with it. */
  nodeFailed(n: PlanNode, at: number, e: RequestError): void {
    this.graph.observe(n, this.since() - at, false);
    this.failNode(n, at, e);
  }

  private failNode(n: PlanNode, at: number, e: RequestError): void {
    if (this.finished) return;
    if (this.tracing) this.trace.push({ node: n.id, kind: n.kind, start: at, end: this.since(), queueMs: 0, status: 'error' });
    this.opts.hooks?.onError?.(n.id, e);
    this.fail(e);
  }
}

/** One replica-backed node's call within a run: the router's completion, handed on to the run. */
class NodeCall implements RouteCompletion {
  constructor(
    private readonly run: Run,
    private readonly n: PlanNode,
    private readonly at: number,
  ) {}

  started(replica: string): void {
    this.run.nodeStarted(this.n, replica);
  }

  token(token: string, index: number): void {
    this.run.nodeToken(this.n, token, index);
  }

  dropped(started: boolean): void {
    this.run.nodeDropped(this.n, started);
  }

  done(r: RouteResult): void {
    this.run.nodeDone(this.n, this.at, r);
  }

  failed(e: Error): void {
    this.run.nodeFailed(this.n, this.at, toRequestError(e, this.n.id));
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
