import type { GraphError } from '../../shared/errors.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function getAt(obj: unknown, path: readonly string[]): unknown {
  let at = obj;
  for (const k of path) {
    if (!isObj(at)) return undefined;
    at = at[k];
  }
  return at;
}

/** A copy of `obj` with `path` set; `undefined` removes the key and then any object left empty. */
export function setAt(obj: Obj, path: readonly string[], value: unknown): Obj {
  if (path.length === 0) return isObj(value) ? value : {};
  const [head, ...rest] = path;
  const out: Obj = { ...obj };
  if (rest.length === 0) {
    if (value === undefined) delete out[head];
    else out[head] = value;
    return out;
  }
  const child = setAt(isObj(obj[head]) ? obj[head] : {}, rest, value);
  if (Object.keys(child).length === 0) delete out[head];
  else out[head] = child;
  return out;
}

/**
 * Compiler errors of one node, keyed by the field they name inside it
 * ("config.topK", "deployment.resources.gpus"); "" holds the node-level ones.
 */
export function errorsByField(errors: readonly GraphError[], nodeIndex: number, nodeId: string): Map<string, GraphError[]> {
  const prefix = `$.nodes[${nodeIndex}]`;
  const out = new Map<string, GraphError[]>();
  for (const e of errors) {
    let field: string | undefined;
    if (e.path === prefix || e.path.startsWith(`${prefix}.`) || e.path.startsWith(`${prefix}[`)) {
      field = e.path.slice(prefix.length).replace(/^\./, '').replace(/\[(\d+)\]/g, '.$1').replace(/\["([^"]*)"\]/g, '.$1').replace(/^\./, '');
    } else if (e.node === nodeId) field = '';
    if (field === undefined) continue;
    out.set(field, [...(out.get(field) ?? []), e]);
  }
  return out;
}

/** The field of a node an error names, from its JSON path (`$.nodes[2].config.topK` -> `config.topK`); '' for the node itself. */
export function errorField(path: string): string {
  const m = /^\$\.nodes\[\d+\]/.exec(path);
  if (!m) return '';
  return path
    .slice(m[0].length)
    .replace(/\[(\d+)\]/g, '.$1')
    .replace(/\["([^"]*)"\]/g, '.$1')
    .replace(/^\./, '');
}
