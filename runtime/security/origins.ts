import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { TOKEN_HEADER } from './auth.js';
import type { HostPolicy } from './hosts.js';

/**
 * Cross-origin policy. CORS is off unless origins are listed (--cors-origin), and a
 * request a browser sends from any other page is refused outright: without this,
 * a web page could POST a "simple" request to a loopback server (CSRF) even though
 * it cannot read the answer.
 */

/** Normalise configured origins ("http://localhost:5173/" -> "http://localhost:5173"); "*" allows any. */
export function parseOrigins(list: readonly string[] | undefined): string[] {
  const out: string[] = [];
  for (const raw of list ?? []) {
    for (const item of raw.split(',')) {
      const o = item.trim();
      if (o === '') continue;
      if (o === '*') {
        out.push('*');
        continue;
      }
      let url: URL;
      try {
        url = new URL(o);
      } catch {
        throw new Error(`CORS origin "${o}" is not a URL; write e.g. http://localhost:5173`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`CORS origin "${o}" must be http or https`);
      out.push(url.origin);
    }
  }
  return [...new Set(out)];
}

/**
 * May a request with this Origin go on? No Origin: not a cross-site browser
 * request. A listed origin, or a page on one of the server's own names and port
 * (the editor it serves): yes. Comparing Origin with the Host header instead
 * would let a rebound name (evil.example -> 127.0.0.1) pass as same-origin.
 */
export function originAllowed(origin: string | undefined | null, hosts: Pick<HostPolicy, 'ownsOrigin'>, allowed: readonly string[]): boolean {
  if (!origin) return true;
  if (allowed.includes('*') || allowed.includes(origin)) return true;
  if (origin === 'null') return false; // sandboxed frames, file:// pages
  return hosts.ownsOrigin(origin);
}

export const originRefusal = (origin: string) => ({ error: `origin ${origin} is not allowed; the operator can allow it with --cors-origin ${origin}`, code: 'origin_not_allowed' as const });

/** 421 for Host names not allowed, 403 for requests from pages on origins not allowed; CORS headers for allowed ones. */
export function originMiddleware(allowed: readonly string[], hosts: HostPolicy): MiddlewareHandler[] {
  const guard: MiddlewareHandler = async (c, next) => {
    const host = c.req.header('host');
    if (!hosts.allows(host)) return c.json(hosts.refusal(host ?? ''), 421);
    const origin = c.req.header('origin');
    if (!originAllowed(origin, hosts, allowed)) return c.json(originRefusal(origin ?? ''), 403);
    return next();
  };
  if (allowed.length === 0) return [guard];
  return [
    guard,
    cors({
      origin: allowed.includes('*') ? '*' : [...allowed],
      allowHeaders: ['Content-Type', 'Authorization', TOKEN_HEADER],
      allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      exposeHeaders: ['Retry-After', 'X-Request-Id'],
      maxAge: 600,
    }),
  ];
}

/** socket.io Server `cors` option for the same origins (false: no CORS headers). */
export function socketCors(allowed: readonly string[]): false | { origin: string | string[]; methods: string[]; allowedHeaders: string[] } {
  if (allowed.length === 0) return false;
  return { origin: allowed.includes('*') ? '*' : [...allowed], methods: ['GET', 'POST'], allowedHeaders: ['Authorization', TOKEN_HEADER] };
}
