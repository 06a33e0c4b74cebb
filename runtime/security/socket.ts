import type { IncomingMessage } from 'node:http';
import type { Server, ServerOptions, Socket } from 'socket.io';
import { requestToken, tokenMatches } from './auth.js';
import { DEFAULT_LIMITS, findTooDeep, type InputLimits, tooDeep } from './limits.js';
import { GRAPH_NAME } from '../../shared/graph.js';
import type { HostPolicy } from './hosts.js';
import { originAllowed, socketCors } from './origins.js';

/**
 * The socket.io side of the same rules as HTTP: message size, JSON depth,
 * Host names and origins, graph names, and tokens (the control-plane token for
 * status subscriptions, each graph's own rule for invoke).
 */
export interface SocketSecurity {
  /** Control-plane token; undefined when the server has none. */
  token?: string;
  /** Host names the server answers to (DNS rebinding). */
  hosts: HostPolicy;
  origins: readonly string[];
  limits?: InputLimits;
  /** Token a graph's data plane expects (undefined: open; an unknown graph expects the server's token). */
  graphToken?: (graph: string) => string | undefined;
}

/** Options to spread into `new Server(http, {...})`. */
export function socketServerOptions(s: SocketSecurity): Partial<ServerOptions> {
  const limits = s.limits ?? DEFAULT_LIMITS;
  return {
    maxHttpBufferSize: limits.bodyLimitBytes,
    cors: socketCors(s.origins) || undefined,
    // The handshake of both transports (polling and a fresh websocket); later requests carry its sid.
    allowRequest: (req: IncomingMessage, cb: (err: string | null | undefined, ok: boolean) => void) => {
      if (!s.hosts.allows(req.headers.host)) return cb(s.hosts.refusal(req.headers.host ?? '').error, false);
      const ok = originAllowed(req.headers.origin, s.hosts, s.origins);
      cb(ok ? null : `origin ${req.headers.origin} is not allowed`, ok);
    },
  };
}

/** Did this connection present the control-plane token (auth.token, or a header)? */
export function socketAuthenticated(socket: Socket, token: string | undefined): boolean {
  if (token === undefined) return true;
  const given = typeof socket.handshake.auth?.token === 'string' ? socket.handshake.auth.token : requestToken({ get: (n) => headerOf(socket, n) });
  return tokenMatches(given, token);
}

function headerOf(socket: Socket, name: string): string | undefined {
  const v = socket.handshake.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

type Ack = (res: unknown) => void;

/** A subscribe/invoke naming no possible graph (any string of any size, before this check). */
function badName(event: string, graph: unknown): Record<string, unknown> | undefined {
  if (typeof graph === 'string' && GRAPH_NAME.test(graph)) return undefined;
  if (event === 'invoke' && typeof graph !== 'string') return undefined; // the handler answers "invoke takes {graph, input}"
  return { error: `${event} takes {graph}: a graph name is lower-case letters, digits, _ or -, at most 63`, path: '$.graph', code: 'bad_request' };
}

/**
 * Install on every connection: refuses over-deep payloads, names that no graph
 * can have, status subscriptions without the control-plane token, and invokes
 * without the token the graph expects. A refused event with an ack gets
 * {ok:false,status,error}.
 */
export function guardSockets(io: Server, s: SocketSecurity): void {
  const maxDepth = (s.limits ?? DEFAULT_LIMITS).jsonDepth;
  io.on('connection', (socket) => {
    const authed = socketAuthenticated(socket, s.token);
    socket.use((packet, next) => {
      const [event, ...args] = packet;
      const ack = typeof args[args.length - 1] === 'function' ? (args[args.length - 1] as Ack) : undefined;
      const refuse = (status: number, body: Record<string, unknown>) => {
        if (ack) ack({ ok: false, status, ...body });
        // No next(): the event never reaches a handler.
      };
      const payload = ack ? args.slice(0, -1) : args;
      const deep = findTooDeep(payload, maxDepth + 1);
      if (deep !== undefined) return refuse(400, { ...tooDeep(deep.replace(/^\$\[0\]/, '$'), maxDepth).body() });
      if (event !== 'subscribe' && event !== 'unsubscribe' && event !== 'invoke') return next();
      const graph = (payload[0] as { graph?: unknown } | undefined)?.graph;
      const bad = badName(event, graph);
      if (bad) return refuse(400, bad);
      if (event === 'subscribe' && !authed) return refuse(401, { error: 'subscribing to status requires the token (socket.io auth: { token })', code: 'unauthorized' });
      if (event === 'invoke' && typeof graph === 'string') {
        // An unknown graph expects the server's token as a protected one does: the answer
        // without it is the same 401 either way, so names cannot be probed.
        const expected = s.graphToken?.(graph);
        if (expected !== undefined && !(tokenMatches(socket.handshake.auth?.token, expected) || tokenMatches(requestToken({ get: (n) => headerOf(socket, n) }), expected))) {
          return refuse(401, { error: `graph ${graph} requires a token (socket.io auth: { token })`, code: 'unauthorized' });
        }
      }
      next();
    });
  });
}
