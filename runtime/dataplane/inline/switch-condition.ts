export interface SwitchCase {
  port: string;
  equals: string | number | boolean;
}

/** Read a dotted path (`result.label`, `items.0`) from a value; empty path is the value itself. */
export function readPath(value: unknown, path: string): unknown {
  if (!path) return value;
  let cur: unknown = value;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** The output port a switch takes: the first case whose value equals the one at `path`, else `default`. */
export function chooseBranch(value: unknown, path: string, cases: readonly SwitchCase[]): string {
  const v = readPath(value, path);
  for (const c of cases) if (v === c.equals) return c.port;
  return 'default';
}
