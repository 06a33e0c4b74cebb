import { type PortSpec, portsCompatible } from '../../shared/ports.js';

export interface Connection {
  source: string | null;
  sourceHandle?: string | null;
  target: string | null;
  targetHandle?: string | null;
}
export interface EdgeLike {
  source: string;
  sourceHandle?: string | null;
  target: string;
  targetHandle?: string | null;
}
export type PortsOf = (nodeId: string) => { inputs: PortSpec[]; outputs: PortSpec[] } | undefined;
export type ConnectionCheck = { ok: true } | { ok: false; reason: string };

/**
 * Whether a connection being drawn may be made, and if not, a reason the user can read.
 * Same rules as the compiler (port types, one edge per single input, no cycles), checked
 * before the edge exists so a bad edge is never added.
 */
export function checkConnection(c: Connection, edges: readonly EdgeLike[], portsOf: PortsOf): ConnectionCheck {
  const { source, target } = c;
  if (!source || !target || !c.sourceHandle || !c.targetHandle) return { ok: false, reason: 'connect an output to an input' };
  if (source === target) return { ok: false, reason: `a node cannot feed itself (${source})` };
  const src = portsOf(source);
  const dst = portsOf(target);
  if (!src || !dst) return { ok: false, reason: 'unknown node' };
  const out = src.outputs.find((p) => p.name === c.sourceHandle);
  const inp = dst.inputs.find((p) => p.name === c.targetHandle);
  if (!out) return { ok: false, reason: `${source} has no output "${c.sourceHandle}"` };
  if (!inp) return { ok: false, reason: `${target} has no input "${c.targetHandle}"` };
  if (!portsCompatible(out.type, inp.type)) {
    return { ok: false, reason: `${source}.${out.name} gives ${out.type} but ${target}.${inp.name} takes ${inp.type}` };
  }
  if (edges.some((e) => e.source === source && e.sourceHandle === out.name && e.target === target && e.targetHandle === inp.name)) {
    return { ok: false, reason: 'these ports are already connected' };
  }
  if (!inp.multiple && edges.some((e) => e.target === target && e.targetHandle === inp.name)) {
    return { ok: false, reason: `input ${target}.${inp.name} takes one edge and already has one` };
  }
  const path = pathBetween(target, source, edges);
  if (path) return { ok: false, reason: `that would make a cycle: ${[source, ...path].join(' -> ')}` };
  return { ok: true };
}

/** A path from `from` to `to` along edges (node ids, both ends included), or undefined. */
export function pathBetween(from: string, to: string, edges: readonly EdgeLike[]): string[] | undefined {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.source, [...(next.get(e.source) ?? []), e.target]);
  const prev = new Map<string, string>();
  const queue = [from];
  const seen = new Set([from]);
  while (queue.length) {
    const id = queue.shift()!;
    if (id === to) {
      const path = [id];
      let at = id;
      while (prev.has(at)) {
        at = prev.get(at)!;
        path.unshift(at);
      }
      return path;
    }
    for (const n of next.get(id) ?? []) {
      if (seen.has(n)) continue;
      seen.add(n);
      prev.set(n, id);
      queue.push(n);
    }
  }
  return undefined;
}
