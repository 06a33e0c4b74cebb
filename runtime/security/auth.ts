import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { Context, MiddlewareHandler } from 'hono';

/** Header a client may use instead of `Authorization: Bearer <token>` (socket.io uses `auth.token`). */
export const TOKEN_HEADER = 'x-beamline-token';
export const TOKEN_ENV = 'BEAMLINE_TOKEN';

/**
 * Constant-time token check. Both sides are hashed first so the comparison runs
 * over equal-length digests: neither the content nor the length of the expected
 * token leaks through timing.
 */
export function tokenMatches(given: string | undefined | null, expected: string): boolean {
  if (typeof given !== 'string' || expected.length === 0) return false;
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The token a request carries, from `Authorization: Bearer` or x-beamline-token. */
export function requestToken(headers: { get(name: string): string | null | undefined }): string | undefined {
  const auth = headers.get('authorization');
  if (auth) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1].trim();
  }
  return headers.get(TOKEN_HEADER) ?? undefined;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h.startsWith('::ffff:')) return h.slice(7).startsWith('127.');
  return false;
}

export interface BindSecurity {
  host: string;
  token?: string;
  insecure?: boolean;
}

/**
 * Why the server must not start with these settings, or undefined when it may.
 * Off loopback the control plane is reachable by others, so a token is required
 * unless the operator explicitly says --insecure.
 */
export function bindRefusal({ host, token, insecure }: BindSecurity): string | undefined {
  if (isLoopbackHost(host) || insecure || (token && token.length > 0)) return undefined;
  return `refusing to listen on ${host} without a token: anyone who can reach it could deploy code. Pass --token <secret> or set ${TOKEN_ENV}, or --insecure to accept the risk`;
}

/** The control-plane token: --token wins over BEAMLINE_TOKEN; empty means none. */
export function resolveToken(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const t = flag ?? env[TOKEN_ENV];
  return t && t.length > 0 ? t : undefined;
}

function unauthorized(c: Context, what: string) {
  c.header('WWW-Authenticate', 'Bearer realm="beamline"');
  return c.json({ error: `${what} requires a token: send "Authorization: Bearer <token>" or ${TOKEN_HEADER}`, code: 'unauthorized' }, 401);
}

/**
 * Hono middleware for the control plane. With no token configured (loopback
 * default) it lets everything through; otherwise every request must carry it.
 */
export function requireToken(token: string | undefined, what = 'the control plane'): MiddlewareHandler {
  return async (c, next) => {
    if (token === undefined) return next();
    if (c.req.method === 'OPTIONS') return next(); // CORS preflight carries no credentials
    if (!tokenMatches(requestToken(c.req.raw.headers), token)) return unauthorized(c, what);
    return next();
  };
}

/** How one graph's data plane is reached: open, or only with a token. */
export interface DataPlanePolicy {
  auth: 'open' | 'token';
  /** Environment variable holding this graph's own token; the control-plane token when absent. */
  tokenEnv?: string;
}

/** The token a protected graph expects, or undefined for an open one. Throws when it cannot be resolved. */
export function dataPlaneToken(policy: DataPlanePolicy | undefined, controlToken: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!policy || policy.auth === 'open') return undefined;
  const t = policy.tokenEnv ? env[policy.tokenEnv] : controlToken;
  if (!t) {
    throw new Error(
      policy.tokenEnv
        ? `dataPlane.tokenEnv names ${policy.tokenEnv}, which is not set in the server's environment`
        : `dataPlane.auth is "token" but the server has no token (--token or ${TOKEN_ENV})`,
    );
  }
  return t;
}

/**
 * Hono middleware for data-plane routes. `graphOf` maps a request to the graph it
 * invokes and that graph's expected token (undefined: open, or not a graph route).
 */
export function requireGraphToken(expectedFor: (c: Context) => { graph: string; token: string | undefined } | undefined): MiddlewareHandler {
  return async (c, next) => {
    const g = expectedFor(c);
    if (!g || g.token === undefined || c.req.method === 'OPTIONS') return next();
    if (!tokenMatches(requestToken(c.req.raw.headers), g.token)) return unauthorized(c, `graph ${g.graph}`);
    return next();
  };
}
