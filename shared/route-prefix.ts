/**
 * Route prefixes as the server matches them. A request path is looked up as it
 * arrives, with only its trailing slash removed (routePath below), so
 * a prefix is kept in that same form, and one that no request path could equal
 * (dot segments, empty segments) or that the server answers itself is refused.
 */

/** First path segments the server answers itself; a graph cannot be routed under them. */
export const RESERVED_ROUTE_SEGMENTS = ['api', 'v1', 'metrics', 'healthz', 'socket.io', 'examples', 'assets', 'index.html'] as const;

/** The form requests are matched in: no trailing slash (except the root itself). */
export function normaliseRoutePrefix(prefix: string): string {
  return prefix.length > 1 && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
}

/** The path of a request URL without its query and trailing slash: the key graphs are routed by (the form compile() gives routePrefix). */
export function routePath(url: string): string {
  const q = url.indexOf('?');
  return normaliseRoutePrefix(q < 0 ? url : url.slice(0, q));
}

/** Why a (normalised) route prefix cannot be served, or undefined when it can. */
export function routePrefixProblem(prefix: string): { message: string; fix: string } | undefined {
  if (prefix === '/') return { message: 'the route prefix / is the editor', fix: 'use a path such as /my-graph' };
  const segments = prefix.slice(1).split('/');
  const clean = segments.filter((s) => s !== '' && s !== '.' && s !== '..');
  const rewrite = clean.length > 0 ? `write it as /${clean.join('/')}` : 'use a path such as /my-graph';
  if (segments.includes('')) return { message: `route prefix ${JSON.stringify(prefix)} has an empty segment (//), which no request path matches`, fix: rewrite };
  if (segments.some((s) => s === '.' || s === '..')) return { message: `route prefix ${JSON.stringify(prefix)} has a . or .. segment, which no request path matches`, fix: rewrite };
  const first = segments[0].toLowerCase();
  if ((RESERVED_ROUTE_SEGMENTS as readonly string[]).includes(first)) {
    return { message: `route prefix ${JSON.stringify(prefix)} is under /${first}, which the server answers itself (reserved: ${RESERVED_ROUTE_SEGMENTS.map((s) => `/${s}`).join(', ')})`, fix: 'choose another first segment' };
  }
  return undefined;
}
