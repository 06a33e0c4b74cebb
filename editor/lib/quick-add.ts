/**
 * Quick add from a dropped connection: a connection drawn from a port and released on empty
 * canvas offers only the kinds that can take (or give) that port's value, and the new node is
 * connected on the port that fits best.
 */
import { type PortSpec, type PortType, portsCompatible } from '../../shared/ports.js';
import type { KindInfo } from './kinds.js';

/** The port a connection was drawn from: `source` is an output, `target` an input. */
export interface PortEnd {
  node: string;
  port: string;
  side: 'source' | 'target';
  type: PortType;
}

export interface QuickAddChoice {
  kind: KindInfo;
  /** The new node's port to connect to the end the connection came from. */
  port: PortSpec;
}

/** How well `p` fits a value of `type`: exact type first, then required, then the rest; undefined when it does not fit. */
function portFit(p: PortSpec, type: PortType, side: PortEnd['side']): number | undefined {
  const ok = side === 'source' ? portsCompatible(type, p.type) : portsCompatible(p.type, type);
  if (!ok) return undefined;
  return (p.type === type ? 0 : p.type === 'any' || type === 'any' ? 2 : 1) * 2 + (p.required ? 0 : 1);
}

/**
 * Kinds that can be connected to `from`, each with the port to use, in catalog order. Ports are
 * a kind's default ones (config-dependent ports may add more once configured); kinds that may
 * appear once (the input) are left out when the graph has one.
 */
export function kindsFor(from: PortEnd, kinds: readonly KindInfo[], present: ReadonlySet<string> = new Set()): QuickAddChoice[] {
  const out: QuickAddChoice[] = [];
  for (const k of kinds) {
    if (k.singleton && present.has(k.kind)) continue;
    const ports = k.ports({});
    const candidates = from.side === 'source' ? ports.inputs : ports.outputs;
    let best: { port: PortSpec; score: number } | undefined;
    for (const p of candidates) {
      const score = portFit(p, from.type, from.side);
      if (score !== undefined && (!best || score < best.score)) best = { port: p, score };
    }
    if (best) out.push({ kind: k, port: best.port });
  }
  return out;
}

/** The edge joining `from` and the new node's `port`, oriented output -> input. */
export function connectionTo(from: PortEnd, node: string, port: string) {
  return from.side === 'source'
    ? { source: from.node, sourceHandle: from.port, target: node, targetHandle: port }
    : { source: node, sourceHandle: port, target: from.node, targetHandle: from.port };
}
