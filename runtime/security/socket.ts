import type { IncomingMessage } from 'node:http';
import type { Server, ServerOptions, Socket } from 'socket.io';
import { requestToken, tokenMatches } from './auth.js';
import { DEFAULT_LIMITS, depthError, findTooDeep, type InputLimits } from './limits.js';
import { originAllowed, socketCors } from './origins.js';

/**
 * The socket.io side of the same rules as HTTP: message size, JSON depth,
 * origins, and tokens (the control-plane token for status subscriptions, each
 * graph's own rule for invoke).
 */
export interface SocketSecurity {
  /** Control-plane token; undefined when the server has none. */
  token?: string;
  origins: readonly string[];
  limits?: InputLimits;
  /** Token a graph's data plane expects (undefined: open or unknown graph). */
  graphToken?: (graph: string) => string | undefined;
}

/** Options to spread into `new Server(http, {...})`. */
export function socketServerOptions(s: SocketSecurity): Partial<ServerOptions> {
  const limits = s.limits ?? DEFAULT_LIMITS;
  return {
    maxHttpBufferSize: limits.bodyLimitBytes,
    cors: socketCors(s.origins) || undefined,
    allowRequest: (req: IncomingMessage, cb: (err: string | null | undefined, ok: boolean) => void) => {
      const ok = originAllowed(req.headers.origin, req.headers.host, s.origins);
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

/**
 * Install on every connection: refuses over-deep payloads, status subscriptions
 * without the control-plane token, and invokes of protected graphs without that
 * graph's token. A refused event with an ack gets {ok:false,status,error}.
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
      if (deep !== undefined) return refuse(400, depthError(deep.replace(/^\$\[0\]/, '$'), maxDepth));
      if (event === 'subscribe' && !authed) return refuse(401, { error: 'subscribing to status requires the token (socket.io auth: { token })', code: 'unauthorized' });
      if (event === 'invoke') {
        const graph = (payload[0] as { graph?: unknown } | undefined)?.graph;
        const expected = typeof graph === 'string' ? s.graphToken?.(graph) : undefined;
        if (expected !== undefined && !(tokenMatches(socket.handshake.auth?.token, expected) || tokenMatches(requestToken({ get: (n) => headerOf(socket, n) }), expected))) {
          return refuse(401, { error: `graph ${graph} requires a token (socket.io auth: { token })`, code: 'unauthorized' });
        }
      }
      next();
    });
  });
}
