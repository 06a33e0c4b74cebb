import dagre from '@dagrejs/dagre';

export interface LayoutNode {
  id: string;
  width?: number;
  height?: number;
}
export interface LayoutEdge {
  source: string;
  target: string;
}

/** Left-to-right layered layout (dagre); returns each node's top-left corner. */
export function autoLayout(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[]): Map<string, { x: number; y: number }> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 40, ranksep: 80, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  const size = new Map<string, { w: number; h: number }>();
  for (const n of nodes) {
    const s = { w: n.width ?? 200, h: n.height ?? 90 };
    size.set(n.id, s);
    g.setNode(n.id, { width: s.w, height: s.h });
  }
  for (const e of edges) if (size.has(e.source) && size.has(e.target)) g.setEdge(e.source, e.target);
  dagre.layout(g);
  const out = new Map<string, { x: number; y: number }>();
  for (const n of nodes) {
    const p = g.node(n.id);
    const s = size.get(n.id)!;
    // dagre gives centres; React Flow positions are top-left corners.
    out.set(n.id, { x: Math.round(p.x - s.w / 2), y: Math.round(p.y - s.h / 2) });
  }
  return out;
}
