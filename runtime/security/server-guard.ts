import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, Hono } from 'hono';
import type { Server as SocketServer, ServerOptions as SocketServerOptions } from 'socket.io';
import { routePath } from '../../shared/route-prefix.js';
import { bindRefusal, type DataPlanePolicy, dataPlaneToken, requestToken, requireGraphToken, requireToken, resolveToken, TOKEN_ENV, tokenMatches } from './auth.js';
import type { InputLimits } from './limits.js';
import { type HostPolicy, hostPolicy, parseAllowedHosts } from './hosts.js';
import { originAllowed, originMiddleware, originRefusal, parseOrigins } from './origins.js';
import { rememberSecrets } from './redact.js';
import { guardSockets, socketServerOptions } from './socket.js';

/** The server options this module reads (`beamline serve` flags of the same names). */
export interface SecurityOptions {
  /** Control-plane token (--token); BEAMLINE_TOKEN when absent. */
  token?: string;
  /** Listen off loopback without a token (--insecure). */
  insecure?: boolean;
  /** Origins allowed to call from a browser (--cors-origin); none by default. */
  corsOrigins?: string[];
  /** Host names answered beside the bound address (--allowed-host); BEAMLINE_ALLOWED_HOSTS adds to them. */
  allowedHosts?: string[];
  /** Default data-plane rule for graphs deployed without one: token when a token is set, else open. */
  dataPlane?: DataPlanePolicy['auth'];
}

/** The server's security settings, resolved and checked before anything is built or bound. */
export interface SecuritySettings {
  token: string | undefined;
  origins: string[];
  hosts: HostPolicy;
  /** The data-plane rule of a graph deployed without one. */
  defaultDataPlane: DataPlanePolicy;
  /** Settings that are allowed but risky, to log at start. */
  warnings: string[];
  env: NodeJS.ProcessEnv;
}

export interface ServerGuard extends SecuritySettings {
  /** Host, origins, then the control-plane token for /api/* and GET /v1/models: before any body is read. */
  installControl(app: Hono): void;
  /** Per-graph data-plane tokens: after the body limit (the /v1 routes name the graph in the body). */
  installData(app: Hono): void;
  /**
   * The same checks for every request on plain node:http, before the data
   * plane's fast path and Hono: Host, origin, CORS header, the graph's token
   * (the server's for a POST no graph serves). True when it answered.
   */
  refuseNode(req: IncomingMessage, res: ServerResponse): boolean;
  /** The port, once listening: Host and Origin ports are checked against it. */
  listening(port: number): void;
  /** Options to spread into the socket.io Server, and the per-connection guard. */
  socketOptions(): Partial<SocketServerOptions>;
  guardSockets(io: SocketServer): void;
}

/** What the guard asks about graphs: which one a path serves (the data plane's route table) and its data-plane rule (the deployer). */
export interface GraphLookup {
  routes: { lookup(path: string): { readonly name: string } | undefined };
  policies: {
    /** A deployed graph's data-plane rule (undefined: not deployed). */
    policyOf(graph: string): DataPlanePolicy | undefined;
  };
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
export function securitySettings(host: string, opts: SecurityOptions, env: NodeJS.ProcessEnv = process.env): SecuritySettings {
  const token = resolveToken(opts.token, env);
  const refusal = bindRefusal({ host, ...(token ? { token } : {}), ...(opts.insecure ? { insecure: true } : {}) });
  if (refusal) throw new Error(refusal);
  rememberSecrets([token]);
  const origins = parseOrigins(opts.corsOrigins);
  const hosts = hostPolicy(host, parseAllowedHosts(opts.allowedHosts, env));
  const warnings: string[] = [];
  if (origins.includes('*') && !token) {
    warnings.push(`warning: --cors-origin '*' without a token: any web page a user of this machine opens can deploy, delete and invoke graphs here; set --token (or ${TOKEN_ENV}) or list the origins`);
  }
  const defaultDataPlane: DataPlanePolicy = { auth: opts.dataPlane ?? (token ? 'token' : 'open') };
  return { token, origins, hosts, defaultDataPlane, warnings, env };
}

/** The checks of every request and socket, for settings already resolved by securitySettings(). */
export function createServerGuard(settings: SecuritySettings, limits: InputLimits, graphs: GraphLookup): ServerGuard {
  const { token, origins, hosts, env } = settings;
  const graphOf = (path: string): string | undefined => graphs.routes.lookup(path)?.name;
  /** The token a graph expects; an unknown one expects the server's, so a 401 does not tell which names exist. */
  const tokenOf = (graph: string): string | undefined => {
    const policy = graphs.policies.policyOf(graph);
    if (!policy) return token;
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
    return graphOf(routePath(c.req.path));
  };
  return {
    ...settings,
    installControl(app) {
      app.use('*', ...originMiddleware(origins, hosts));
      app.use('/api/*', requireToken(token));
      // Model ids are graph names.
      app.use('/v1/models', requireToken(token, 'GET /v1/models'));
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
      const host = req.headers.host;
      if (!hosts.allows(host)) {
        // /healthz answers any Host and origin: probes (load balancers, kubelets, docker port maps)
        // use addresses and ports the server cannot know, and it says only {ok, graphs: <count>}.
        if (req.method === 'GET' && routePath(req.url ?? '/') === '/healthz') return false;
        return refuse(req, res, 421, hosts.refusal(host ?? ''));
      }
      const origin = req.headers.origin;
      if (!originAllowed(origin, hosts, origins)) return refuse(req, res, 403, originRefusal(origin ?? ''));
      if (origin && origins.length > 0) {
        res.setHeader('access-control-allow-origin', origins.includes('*') ? '*' : origin);
        res.setHeader('vary', 'Origin');
      }
      if (req.method !== 'POST') return false;
      const url = req.url ?? '/';
      const path = routePath(url);
      const graph = graphOf(path);
      // /api and /v1 have their own token rules in Hono (the /v1 graph is named in the body).
      const expected = graph !== undefined ? tokenOf(graph) : url.startsWith('/api/') || url.startsWith('/v1/') ? undefined : token;
      if (expected === undefined) return false;
      const given = requestToken({ get: (n) => (Array.isArray(req.headers[n]) ? req.headers[n][0] : (req.headers[n] as string | undefined)) });
      if (tokenMatches(given, expected)) return false;
      // The same answer for a route no graph serves as for a protected one: routes cannot be probed.
      const shown = path.length > 100 ? `${path.slice(0, 100)}…` : path;
      return refuse(req, res, 401, { error: `POST ${shown} requires a token: send "Authorization: Bearer <token>" or x-beamline-token`, code: 'unauthorized' }, { 'www-authenticate': 'Bearer realm="beamline"' });
    },
    listening: (port) => hosts.listening(port),
    socketOptions: () => socketServerOptions({ ...(token ? { token } : {}), hosts, origins, limits, graphToken: tokenOf }),
    guardSockets: (io) => guardSockets(io, { ...(token ? { token } : {}), hosts, origins, limits, graphToken: tokenOf }),
  };
}
