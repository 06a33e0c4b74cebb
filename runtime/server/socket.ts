import type { Server as HttpServer } from 'node:http';
import { Server, type ServerOptions as SocketServerOptions, type Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents, StatusEvent } from '../../shared/protocol.js';
import { STATUS_PUSH_INTERVAL_MS } from '../../shared/protocol.js';
import type { ClusterLedger } from '../controlplane/cluster.js';
import type { Controller } from '../controlplane/controller.js';
import { attachInvoke } from '../dataplane/socket.js';

export interface SocketOptions {
  requestTimeoutMs: number;
  jsonDepth: number;
  maxMessageBytes: number;
  /** Origins, CORS and handshake checks from runtime/security (spread last). */
  serverOptions?: Partial<SocketServerOptions>;
}

/** Status subscriptions one connection may hold (rooms are kept until it leaves them or closes). */
export const MAX_SUBSCRIPTIONS = 32;
const room = (graph: string) => `graph:${graph}`;
/** Graph rooms a socket is in (socket.rooms also holds its own id and other rooms, e.g. ingest progress). */
function subscriptions(socket: Socket<ClientToServerEvents, ServerToClientEvents>): number {
  let n = 0;
  for (const r of socket.rooms) if (r.startsWith('graph:')) n++;
  return n;
}

/**
 * socket.io on the HTTP server: the data plane's `invoke` (dataplane/socket.ts),
 * and `subscribe` to a graph's status, pushed at most every 500 ms.
 */
export function attachSockets(http: HttpServer, ctl: Controller, ledger: ClusterLedger, opts: SocketOptions) {
  const io = new Server<ClientToServerEvents, ServerToClientEvents>(http, { serveClient: false, maxHttpBufferSize: opts.maxMessageBytes, cors: undefined, ...opts.serverOptions });
  const snapshot = (graph: string): StatusEvent | undefined => {
    const dep = ctl.get(graph);
    return dep && { graph, status: dep.status(), cluster: ledger.status(), at: Date.now() };
  };

  attachInvoke(io, ctl, opts);
  io.on('connection', (socket: Socket<ClientToServerEvents, ServerToClientEvents>) => {
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
