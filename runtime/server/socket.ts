import { randomUUID } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import { Server, type ServerOptions as SocketServerOptions, type Socket } from 'socket.io';
import type { ClientToServerEvents, InvokeAck, ServerToClientEvents, StatusEvent } from '../../shared/protocol.js';
import { OUTPUT_EVENT_LIMIT, STATUS_PUSH_INTERVAL_MS } from '../../shared/protocol.js';
import type { ClusterLedger } from '../controlplane/cluster.js';
import type { Controller } from '../controlplane/controller.js';
import { Cancel } from '../dataplane/cancel.js';
import { clientGone, RequestError } from '../dataplane/errors.js';
import type { Metrics } from '../controlplane/metrics.js';
import { findTooDeep } from '../security/limits.js';
import { toJsonText } from '../dataplane/http.js';
import { invokeGraph } from '../dataplane/invoke.js';

export interface SocketOptions {
  requestTimeoutMs: number;
  jsonDepth: number;
  maxMessageBytes: number;
  /** Origins, CORS and handshake checks from runtime/security (spread last). */
  serverOptions?: Partial<SocketServerOptions>;
}

const PREVIEW_CHARS = 200;
/** Status subscriptions one connection may hold (rooms are kept until it leaves them or closes). */
export const MAX_SUBSCRIPTIONS = 32;
const room = (graph: string) => `graph:${graph}`;
/** Graph rooms a socket is in (socket.rooms also holds its own id and other rooms, e.g. ingest progress). */
function subscriptions(socket: Socket<ClientToServerEvents, ServerToClientEvents>): number {
  let n = 0;
  for (const r of socket.rooms) if (r.startsWith('graph:')) n++;
  return n;
}

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
 * socket.io on the HTTP server: `invoke` with an ack and node events tied to
 * the request id; `subscribe` to a graph's status, pushed at most every 500 ms.
 */
export function attachSockets(http: HttpServer, ctl: Controller, ledger: ClusterLedger, metrics: () => Metrics, opts: SocketOptions) {
  const io = new Server<ClientToServerEvents, ServerToClientEvents>(http, { serveClient: false, maxHttpBufferSize: opts.maxMessageBytes, cors: undefined, ...opts.serverOptions });
  const snapshot = (graph: string): StatusEvent | undefined => {
    const dep = ctl.get(graph);
    return dep && { graph, status: dep.status(), cluster: ledger.status(), at: Date.now() };
  };

  io.on('connection', (socket: Socket<ClientToServerEvents, ServerToClientEvents>) => {
    // A client that disconnects cancels its invocations still running: their queued node calls never start.
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
      const dep = ctl.get(req.graph);
      if (!dep) return fail(new RequestError(404, `no graph named "${req.graph}" is deployed`, { code: 'unknown_graph' }));
      const deep = findTooDeep(req.input, opts.jsonDepth);
      if (deep !== undefined) return fail(new RequestError(400, `JSON nested deeper than ${opts.jsonDepth} levels at ${deep}`, { path: deep, code: 'too_deep' }));
      const id = requestId ?? randomUUID();
      const cancel = new Cancel();
      inflight.add(cancel);
      try {
        const r = await invokeGraph(dep, metrics(), req.input ?? {}, {
          timeoutMs: opts.requestTimeoutMs,
          requestId: id,
          cancel,
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
    socket.on('subscribe', (req, ack) => {
      const graph = typeof req?.graph === 'string' ? req.graph : undefined;
      if (!graph) return typeof ack === 'function' && ack({ ok: false, error: 'subscribe takes {graph}' });
      if (!socket.rooms.has(room(graph)) && subscriptions(socket) >= MAX_SUBSCRIPTIONS) {
        // Shaped like the guard's refusals ({ok:false, status:<http status>}), not a SubscribeAck's status snapshot.
        const refusal = { ok: false, status: 429, error: `at most ${MAX_SUBSCRIPTIONS} subscriptions per connection: unsubscribe from one first`, code: 'too_many_subscriptions' };
        return typeof ack === 'function' && (ack as (res: unknown) => void)(refusal);
      }
      void socket.join(room(graph));
      const status = snapshot(graph);
      if (typeof ack === 'function') ack({ ok: true, ...(status ? { status } : {}) });
    });
    socket.on('unsubscribe', (req) => {
      if (typeof req?.graph === 'string') void socket.leave(room(req.graph));
    });
  });

  // One timer for every subscriber: at most one push per graph per interval.
  const timer = setInterval(() => {
    for (const dep of ctl.list()) {
      const r = io.sockets.adapter.rooms.get(room(dep.name));
      if (!r || r.size === 0) continue;
      const s = snapshot(dep.name);
      if (s) io.to(room(dep.name)).emit('status', s);
    }
  }, STATUS_PUSH_INTERVAL_MS);
  timer.unref();
  return { io, close: () => clearInterval(timer) };
}
