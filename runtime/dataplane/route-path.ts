import { normaliseRoutePrefix } from '../../shared/route-prefix.js';

/** The path of a request URL without its query and trailing slash: the key graphs are routed by (the form compile() gives routePrefix). */
export function routePath(url: string): string {
  const q = url.indexOf('?');
  return normaliseRoutePrefix(q < 0 ? url : url.slice(0, q));
}
