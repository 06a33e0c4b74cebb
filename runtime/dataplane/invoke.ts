import { randomUUID } from 'node:crypto';
import type { Cancel } from './cancel.js';
import type { GraphDeployment } from '../controlplane/controller.js';
import { RequestError } from './errors.js';
import { type ExecHooks, type ExecOptions, type ExecResult, type ExecSink, executeTo } from './executor.js';
import type { Metrics } from '../controlplane/metrics.js';

export interface InvokeOptions {
  requestId?: string;
  timeoutMs: number;
  hooks?: ExecHooks;
  signal?: AbortSignal;
  /** Aborted by the caller when its client goes away (see ExecOptions.cancel). */
  cancel?: Cancel;
  /** false: no trace spans (ExecResult.trace stays empty). Default true. */
  trace?: boolean;
}

/** Who hears how an invocation ended; failures are always RequestErrors. */
export interface InvokeSink {
  invoked(r: ExecResult, requestId: string): void;
  invokeFailed(e: RequestError): void;
}

/** One request's metrics around the executor: a class, so the data plane allocates one object and no promise. */
class Invocation implements ExecSink {
  private readonly t0 = performance.now();
  constructor(
    private readonly dep: GraphDeployment,
    private readonly metrics: Metrics,
    private readonly requestId: string,
    private readonly sink: InvokeSink,
  ) {}

  done(r: ExecResult): void {
    this.metrics.observeRequest(this.dep.name, 200, performance.now() - this.t0);
    this.sink.invoked(r, this.requestId);
  }

  failed(e: Error): void {
    const err = e instanceof RequestError ? e : new RequestError(500, e instanceof Error ? e.message : String(e), { code: 'internal' });
    this.metrics.observeRequest(this.dep.name, err.status, performance.now() - this.t0);
    this.sink.invokeFailed(err);
  }
}

/** invokeGraph without a promise (the HTTP data plane): the sink hears the answer. */
export function invokeGraphTo(dep: GraphDeployment, metrics: Metrics, input: unknown, opts: InvokeOptions, sink: InvokeSink): void {
  const requestId = opts.requestId ?? randomUUID();
  const inv = new Invocation(dep, metrics, requestId, sink);
  const exec: ExecOptions = { requestId, timeoutMs: opts.timeoutMs };
  if (opts.hooks) exec.hooks = opts.hooks;
  if (opts.signal) exec.signal = opts.signal;
  if (opts.cancel) exec.cancel = opts.cancel;
  if (opts.trace === false) exec.trace = false;
  try {
    executeTo(dep, input, exec, inv);
  } catch (e) {
    inv.failed(e as Error);
  }
}

/** One request to a deployed graph, shared by HTTP and socket.io; failures are RequestErrors. */
export function invokeGraph(dep: GraphDeployment, metrics: Metrics, input: unknown, opts: InvokeOptions): Promise<ExecResult & { requestId: string }> {
  return new Promise((resolve, reject) =>
    invokeGraphTo(dep, metrics, input, opts, {
      invoked: (r, requestId) => resolve({ ...r, requestId }),
      invokeFailed: reject,
    }),
  );
}
