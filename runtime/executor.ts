import type { Plan, PlanNode } from '../shared/plan.js';
import type { TraceSpan } from '../shared/protocol.js';
import { Cancel } from './cancel.js';
import { RequestError, toRequestError } from './errors.js';
import { INLINE_NODES } from './inline/index.js';
import type { NodeInputs, NodeOutputs } from './nodes/types.js';
import type { Router } from './router.js';

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
}

export interface ExecOptions {
  requestId: string;
  /** Overall request timeout (504 naming the nodes still running). */
  timeoutMs: number;
  hooks?: ExecHooks;
  /** Aborted when the caller goes away. */
  signal?: AbortSignal;
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
  const { plan } = x;
  const t0 = performance.now();
  const results = new Map<string, NodeOutputs | null>();
  const waiting = new Map<string, number>();
  const running = new Set<string>();
  const trace: TraceSpan[] = [];
  const cancel = opts.signal ? Cancel.from(opts.signal) : new Cancel();
  const hooks = opts.hooks;
  let left = plan.order.length;
  let finished = false;

  return new Promise<ExecResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      const names = [...running];
      fail(new RequestError(504, `request timed out after ${opts.timeoutMs} ms${names.length ? ` waiting for ${names.join(', ')}` : ''}`, { ...(names[0] ? { node: names[0] } : {}), code: 'timeout' }));
    }, opts.timeoutMs);

    function fail(e: RequestError) {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      cancel.abort(e);
      reject(e);
    }

    function complete(id: string, outputs: NodeOutputs | null) {
      results.set(id, outputs);
      running.delete(id);
      if (--left === 0) {
        finished = true;
        clearTimeout(timer);
        resolve({ output: finalOutput(plan, results), trace });
        return;
      }
      for (const d of plan.nodes[id].downstream) {
        const w = waiting.get(d)! - 1;
        waiting.set(d, w);
        if (w === 0) start(plan.nodes[d]);
      }
    }

    function start(n: PlanNode) {
      if (finished) return;
      const inputs = gatherInputs(n, results);
      const at = round(performance.now() - t0);
      if (!inputs) {
        trace.push({ node: n.id, kind: n.kind, start: at, end: at, queueMs: 0, status: 'skipped' });
        complete(n.id, SKIPPED);
        return;
      }
      running.add(n.id);
      if (n.runsIn === 'executor') {
        const inline = INLINE_NODES[n.kind];
        try {
          if (!inline) throw new RequestError(500, `node ${n.id}: kind ${n.kind} has no inline implementation`, { node: n.id });
          hooks?.onStart?.(n.id, undefined, Date.now());
          const outputs = inline(n, inputs, body);
          const span: TraceSpan = { node: n.id, kind: n.kind, start: at, end: round(performance.now() - t0), queueMs: 0, status: 'ok' };
          trace.push(span);
          hooks?.onEnd?.(n.id, span, outputs);
          complete(n.id, outputs);
        } catch (e) {
          nodeFailed(n, at, toRequestError(e, n.id));
        }
        return;
      }
      const router = x.routers.get(n.id);
      if (!router) return nodeFailed(n, at, new RequestError(503, `node ${n.id} has no replicas`, { node: n.id, code: 'node_unavailable' }));
      router
        .call(inputs, {
          requestId: opts.requestId,
          cancel,
          ...(hooks?.onStart ? { onStart: (replica: string) => hooks.onStart!(n.id, replica, Date.now()) } : {}),
          ...(hooks?.onToken ? { onToken: (token: string, index: number) => hooks.onToken!(n.id, token, index) } : {}),
        })
        .then(
          (r) => {
            const end = round(performance.now() - t0);
            const span: TraceSpan = { node: n.id, kind: n.kind, replica: r.replica, start: at, end, queueMs: round(r.queueMs), status: 'ok', ...(r.batchSize !== undefined ? { batchSize: r.batchSize } : {}) };
            trace.push(span);
            // Batch sizes are observed once per batch (by its lead item), not once per request.
            x.observe?.(n, end - at, true, r.batchLead ? r.batchSize : undefined);
            if (finished) return;
            hooks?.onEnd?.(n.id, span, r.outputs);
            complete(n.id, r.outputs);
          },
          (e) => {
            x.observe?.(n, performance.now() - t0 - at, false);
            nodeFailed(n, at, toRequestError(e, n.id));
          },
        );
    }

    function nodeFailed(n: PlanNode, at: number, e: RequestError) {
      if (finished) return;
      trace.push({ node: n.id, kind: n.kind, start: at, end: round(performance.now() - t0), queueMs: 0, status: 'error' });
      hooks?.onError?.(n.id, e);
      fail(e);
    }

    for (const id of plan.order) waiting.set(id, plan.nodes[id].upstream.length);
    // Roots are collected first: an inline root completes synchronously and may start its
    // downstream nodes, which this loop must not start a second time.
    const roots = plan.order.filter((id) => waiting.get(id) === 0);
    for (const id of roots) start(plan.nodes[id]);
  });
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
