import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, Hono } from 'hono';
import type { Server as SocketServer, ServerOptions as SocketServerOptions } from 'socket.io';
import { bindRefusal, type DataPlanePolicy, dataPlaneToken, requestToken, requireGraphToken, requireToken, resolveToken, tokenMatches } from './auth.js';
import type { InputLimits } from './limits.js';
import { originAllowed, originMiddleware, parseOrigins } from './origins.js';
import { rememberSecrets } from './redact.js';
import { guardSockets, socketServerOptions } from './socket.js';
import { routePath } from '../server/route-path.js';

/** The server options this module reads (`beamline serve` flags of the same names). */
export interface SecurityOptions {
  /** Control-plane token (--token); BEAMLINE_TOKEN when absent. */
  token?: string;
  /** Listen off loopback without a token (--insecure). */
  insecure?: boolean;
  /** Origins allowed to call from a browser (--cors-origin); none by default. */
  corsOrigins?: string[];
  /** Default data-plane rule for graphs deployed without one: token when a token is set, else open. */
  dataPlane?: DataPlanePolicy['auth'];
}

export interface ServerGuard {
  token: string | undefined;
  origins: string[];
  defaultDataPlane: DataPlanePolicy;
  /** Origins, then the control-plane token for /api/*: before any body is read. */
  installControl(app: Hono): void;
  /** Per-graph data-plane tokens: after the body limit (the /v1 routes name the graph in the body). */
  installData(app: Hono): void;
  /**
   * The same checks for requests answered on plain node:http (the data plane's
   * fast path): origin, CORS header, the graph's token. True when it answered.
   */
  refuseNode(req: IncomingMessage, res: ServerResponse): boolean;
  /** Options to spread into the socket.io Server, and the per-connection guard. */
  socketOptions(): Partial<SocketServerOptions>;
  guardSockets(io: SocketServer): void;
}

export interface GraphLookup {
  /** The graph served at a data-plane path, if any. */
  byRoute(path: string): string | undefined;
  /** A deployed graph's data-plane rule (undefined: not deployed). */
  policyOf(graph: string): DataPlanePolicy | undefined;
}

/** Answer a refused node:http request with a JSON error (a module function: refuseNode runs on every request). */
function refuse(req: IncomingMessage, res: ServerResponse, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): true {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
  req.resume();
  return true;
}

/** Throws when the server must not start with these settings (see bindRefusal). */
export function createServerGuard(host: string, opts: SecurityOptions, limits: InputLimits, graphs: GraphLookup, env: NodeJS.ProcessEnv = process.env): ServerGuard {
  const token = resolveToken(opts.token, env);
  const refusal = bindRefusal({ host, ...(token ? { token } : {}), ...(opts.insecure ? { insecure: true } : {}) });
  if (refusal) throw new Error(refusal);
  rememberSecrets([token]);
  const origins = parseOrigins(opts.corsOrigins);
  const defaultDataPlane: DataPlanePolicy = { auth: opts.dataPlane ?? (token ? 'token' : 'open') };
  const tokenOf = (graph: string): string | undefined => {
    const policy = graphs.policyOf(graph);
    if (!policy) return undefined;
    try {
      return dataPlaneToken(policy, token, env);
    } catch {
      // A protected graph whose token cannot be resolved stays closed: a random token nobody holds.
      return `unresolvable:${crypto.randomUUID()}`;
    }
  };
  const graphOfRequest = async (c: Context): Promise<string | undefined> => {
    if (c.req.method !== 'POST') return undefined;
    if (c.req.path.startsWith('/v1/')) {
      // OpenAI-compatible routes name the graph in the body's `model`.
      try {
        const body = (await c.req.json()) as { model?: unknown };
        return typeof body?.model === 'string' ? body.model : undefined;
      } catch {
        return undefined;
      }
    }
    const p = c.req.path;
    return graphs.byRoute(p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p);
  };
  return {
    token,
    origins,
    defaultDataPlane,
    installControl(app) {
      app.use('*', ...originMiddleware(origins));
      app.use('/api/*', requireToken(token));
    },
    installData(app) {
      app.use('*', async (c, next) => {
        if (c.req.path.startsWith('/api/')) return next();
        const graph = await graphOfRequest(c);
        const mw = requireGraphToken(() => (graph === undefined ? undefined : { graph, token: tokenOf(graph) }));
        return mw(c, next);
      });
    },
    refuseNode(req, res) {
      const origin = req.headers.origin;
      if (!originAllowed(origin, req.headers.host, origins)) {
        return refuse(req, res, 403, { error: `origin ${origin} is not allowed; the operator can allow it with --cors-origin ${origin}`, code: 'origin_not_allowed' });
      }
      if (origin && origins.length > 0) {
        res.setHeader('access-control-allow-origin', origins.includes('*') ? '*' : origin);
        res.setHeader('vary', 'Origin');
      }
      if (req.method !== 'POST') return false;
      const graph = graphs.byRoute(routePath(req.url ?? '/'));
      const expected = graph === undefined ? undefined : tokenOf(graph);
      if (expected === undefined) return false;
      const given = requestToken({ get: (n) => (Array.isArray(req.headers[n]) ? req.headers[n][0] : (req.headers[n] as string | undefined)) });
      if (tokenMatches(given, expected)) return false;
      return refuse(req, res, 401, { error: `graph ${graph} requires a token: send "Authorization: Bearer <token>" or x-beamline-token`, code: 'unauthorized' }, { 'www-authenticate': 'Bearer realm="beamline"' });
    },
    socketOptions: () => socketServerOptions({ ...(token ? { token } : {}), origins, limits, graphToken: tokenOf }),
    guardSockets: (io) => guardSockets(io, { ...(token ? { token } : {}), origins, limits, graphToken: tokenOf }),
  };
}
