import { randomUUID } from 'node:crypto';
import type { GraphDeployment } from '../controller.js';
import { RequestError } from '../errors.js';
import { type ExecHooks, type ExecResult, execute } from '../executor.js';
import type { Metrics } from '../metrics.js';

export interface InvokeOptions {
  requestId?: string;
  timeoutMs: number;
  hooks?: ExecHooks;
  signal?: AbortSignal;
}

/** One request to a deployed graph, shared by HTTP and socket.io; failures are RequestErrors. */
export async function invokeGraph(dep: GraphDeployment, metrics: Metrics, input: unknown, opts: InvokeOptions): Promise<ExecResult & { requestId: string }> {
  const requestId = opts.requestId ?? randomUUID();
  const t0 = performance.now();
  try {
    const r = await execute(dep, input, { requestId, timeoutMs: opts.timeoutMs, ...(opts.hooks ? { hooks: opts.hooks } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
    metrics.observeRequest(dep.name, 200, performance.now() - t0);
    return { ...r, requestId };
  } catch (e) {
    const err = e instanceof RequestError ? e : new RequestError(500, e instanceof Error ? e.message : String(e), { code: 'internal' });
    metrics.observeRequest(dep.name, err.status, performance.now() - t0);
    throw err;
  }
}
