import { randomUUID } from 'node:crypto';
import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, InvokeAck, ServerToClientEvents } from '../../shared/protocol.js';
import { OUTPUT_EVENT_LIMIT } from '../../shared/protocol.js';
import { findTooDeep, tooDeep } from '../security/limits.js';
import { Cancel } from './cancel.js';
import { clientGone, RequestError } from './errors.js';
import { toJsonText } from './http.js';
import type { RouteTable } from './interface.js';
import { invokeGraph } from './invoke.js';

export interface SocketInvokeOptions {
  requestTimeoutMs: number;
  jsonDepth: number;
}

const PREVIEW_CHARS = 200;

/** A node's whole output for node:end, when the client asked for it: JSON-safe, or why it was left out. */
function fullOutput(v: unknown): { output?: unknown; outputOmitted?: string } {
  const json = toJsonText(v);
  if (!json.ok) return { outputOmitted: json.error };
  if (json.text.length > OUTPUT_EVENT_LIMIT) return { outputOmitted: `output is ${json.text.length} bytes of JSON, over the ${OUTPUT_EVENT_LIMIT}-byte event limit` };
  return { output: JSON.parse(json.text) };
}

function preview(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? 'undefined';
  } catch {
    s = String(v);
  }
  return s.length > PREVIEW_CHARS ? `${s.slice(0, PREVIEW_CHARS)}…` : s;
}

/**
 * socket.io's `invoke` {graph, input} with an ack, and node events tied to the
 * request id while it runs. A client that disconnects cancels its invocations
 * still running: their queued node calls never start.
 */
export function attachInvoke(io: Server<ClientToServerEvents, ServerToClientEvents>, routes: RouteTable, opts: SocketInvokeOptions): void {
  io.on('connection', (socket: Socket<ClientToServerEvents, ServerToClientEvents>) => {
    const inflight = new Set<Cancel>();
    socket.on('disconnect', () => {
      for (const c of inflight) c.abort(clientGone('the socket.io client'));
      inflight.clear();
    });
    socket.on('invoke', async (req, ack) => {
      const reply = typeof ack === 'function' ? ack : () => {};
      const requestId = typeof req?.requestId === 'string' && req.requestId.length <= 200 ? req.requestId : undefined;
      const fail = (e: RequestError, rid = requestId) => reply({ ok: false, status: e.status, ...e.body(rid) } as InvokeAck);
      if (typeof req !== 'object' || req === null || typeof req.graph !== 'string') return fail(new RequestError(400, 'invoke takes {graph, input}', { path: '$.graph', code: 'bad_request' }));
      const graph = routes.get(req.graph);
      if (!graph) return fail(new RequestError(404, `no graph named "${req.graph}" is deployed`, { code: 'unknown_graph' }));
      const deep = findTooDeep(req.input, opts.jsonDepth);
      if (deep !== undefined) return fail(tooDeep(deep, opts.jsonDepth));
      const id = requestId ?? randomUUID();
      const cancel = new Cancel();
      inflight.add(cancel);
      try {
        const r = await invokeGraph(graph, req.input ?? {}, {
          timeoutMs: opts.requestTimeoutMs,
          requestId: id,
          cancel,
          ...(req.headers ? { headers: lowerCaseHeaders(req.headers) } : {}),
          hooks: {
            onStart: (node, replica, at) => socket.emit('node:start', { requestId: id, node, ...(replica ? { replica } : {}), at }),
            onEnd: (node, span, outputs) =>
              socket.emit('node:end', { requestId: id, node, ...(span.replica ? { replica: span.replica } : {}), at: Date.now(), ms: Math.round((span.end - span.start) * 100) / 100, queueMs: span.queueMs, preview: preview(outputs), ...(req.outputs === true ? fullOutput(outputs) : {}) }),
            onError: (node, error) => socket.emit('node:error', { requestId: id, node, error: error.message }),
            onToken: (node, token, index) => socket.emit('token', { requestId: id, node, token, index }),
          },
        });
        const json = toJsonText(r.output);
        if (json.ok) reply({ ok: true, requestId: r.requestId, output: r.output, trace: r.trace });
        else fail(new RequestError(500, json.error, { code: 'output_not_json' }), id);
      } catch (e) {
        fail(e instanceof RequestError ? e : new RequestError(500, String(e)), id);
      } finally {
        inflight.delete(cancel);
      }
    });
  });
}

/** A socket.io invoke's headers as node:http names them (lower case); non-string values are dropped. */
function lowerCaseHeaders(h: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof h !== 'object' || h === null) return out;
  for (const [k, v] of Object.entries(h).slice(0, 64)) if (typeof v === 'string' && k.length <= 256) out[k.toLowerCase()] = v.slice(0, 8192);
  return out;
}
