import { randomUUID } from 'node:crypto';
import type { Cancel } from './cancel.js';
import type { Completion } from './completion.js';
import { RequestError } from './errors.js';
import { type ExecHooks, type ExecOptions, type ExecResult, execute, type RequestHeaders } from './executor.js';
import type { ServedGraph } from './interface.js';

export interface InvokeOptions {
  requestId?: string;
  timeoutMs: number;
  hooks?: ExecHooks;
  signal?: AbortSignal;
  /** Aborted by the caller when its client goes away (see ExecOptions.cancel). */
  cancel?: Cancel;
  /** false: no trace spans (ExecResult.trace stays empty). Default true. */
  trace?: boolean;
  /** The request's headers, lower-case names (see ExecOptions.headers). */
  headers?: RequestHeaders;
}

/** One request's latency and status around the executor: a class, so the data plane allocates one object and no promise. */
class Invocation implements Completion<ExecResult> {
  private readonly t0 = performance.now();
  constructor(
    private readonly graph: ServedGraph,
    private readonly c: Completion<ExecResult, RequestError>,
  ) {}

  done(r: ExecResult): void {
    this.graph.observeRequest(200, performance.now() - this.t0);
    this.c.done(r);
  }

  failed(e: Error): void {
    const err = e instanceof RequestError ? e : new RequestError(500, e instanceof Error ? e.message : String(e), { code: 'internal' });
    this.graph.observeRequest(err.status, performance.now() - this.t0);
    this.c.failed(err);
  }
}

/** One request to a served graph, shared by HTTP, socket.io and the OpenAI routes; failures are always RequestErrors. */
export function invoke(graph: ServedGraph, input: unknown, opts: InvokeOptions, c: Completion<ExecResult, RequestError>): void {
  // A route under release (canary, shadow) picks the version itself; one property read otherwise.
  const release = graph.release;
  if (release !== undefined) release.invoke(input, opts, c);
  else invokeVersion(graph, input, opts, c);
}

/** One request on this very version, whatever release it is part of (the release's own calls). */
export function invokeVersion(graph: ServedGraph, input: unknown, opts: InvokeOptions, c: Completion<ExecResult, RequestError>): void {
  const inv = new Invocation(graph, c);
  const exec: ExecOptions = { requestId: opts.requestId ?? randomUUID(), timeoutMs: opts.timeoutMs };
  if (opts.hooks) exec.hooks = opts.hooks;
  if (opts.signal) exec.signal = opts.signal;
  if (opts.cancel) exec.cancel = opts.cancel;
  if (opts.trace === false) exec.trace = false;
  if (opts.headers) exec.headers = opts.headers;
  try {
    execute(graph, input, exec, inv);
  } catch (e) {
    inv.failed(e as Error);
  }
}

/** invoke() as a promise, for callers off the hot path (socket.io, the OpenAI routes). */
export function invokeGraph(graph: ServedGraph, input: unknown, opts: InvokeOptions): Promise<ExecResult> {
  return new Promise((resolve, reject) => invoke(graph, input, opts, { done: resolve, failed: reject }));
}
