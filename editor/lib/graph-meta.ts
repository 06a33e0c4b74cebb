/** Rules for the graph's own fields as the Graph settings form edits them. */

/** The route prefix a graph name gives when nobody chose another one: `/rag` for `rag`. */
export const routeFor = (name: string) => `/${name}`;

/**
 * The fields a rename changes: the name, and the route prefix too while it still follows the
 * name (it is `/<old name>`, or unset). A prefix the user edited stays as it is.
 */
export function renamePatch(meta: { name: string; routePrefix?: string }, name: string): { name: string; routePrefix?: string } {
  const follows = !meta.routePrefix || meta.routePrefix === routeFor(meta.name);
  return follows ? { name, routePrefix: routeFor(name) } : { name };
}
