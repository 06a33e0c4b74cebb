/**
 * A node whose kind the editor does not know (a custom kind the server was started without) is
 * drawn as a placeholder: it keeps its config and edges, and its ports are the ones its edges
 * name, typed `any`, so the edges stay drawn and the file is saved back unchanged.
 */
import type { PortSpec } from '../../shared/ports.js';

interface EdgeEnds {
  source: string;
  sourceHandle?: string | null;
  target: string;
  targetHandle?: string | null;
}

/** Handle names as `in:<port>` / `out:<port>`, sorted: a cheap value to select from the store. */
export function placeholderHandles(id: string, edges: readonly EdgeEnds[]): string {
  const names = new Set<string>();
  for (const e of edges) {
    if (e.target === id && e.targetHandle) names.add(`in:${e.targetHandle}`);
    if (e.source === id && e.sourceHandle) names.add(`out:${e.sourceHandle}`);
  }
  return [...names].sort().join('\n');
}

export function placeholderPorts(handles: string): { inputs: PortSpec[]; outputs: PortSpec[] } {
  const inputs: PortSpec[] = [];
  const outputs: PortSpec[] = [];
  for (const h of handles.split('\n').filter(Boolean)) {
    const [side, name] = [h.slice(0, h.indexOf(':')), h.slice(h.indexOf(':') + 1)];
    const port: PortSpec = { name, type: 'any', description: 'kept from the graph file; its type is not known here' };
    (side === 'in' ? inputs : outputs).push(port);
  }
  return { inputs, outputs };
}

/** What to tell the user about a kind the server does not serve. */
export function unknownKindMessage(kind: string): string {
  return `The server does not know the kind "${kind}": start it with the module that defines the kind, beamline serve --nodes <module.ts> (docs/nodes.md). The node keeps its config and edges meanwhile.`;
}

/** The same, short enough for the node's card. */
export function unknownKindShort(kind: string): string {
  return `"${kind}" is not a kind this server knows. Add it with: beamline serve --nodes <module.ts>`;
}
