import { edgeId, type GraphEdge, type GraphNode, GraphEdgeSchema, GraphNodeSchema } from '../../shared/graph.js';
import { uniqueId } from './ids.js';

/**
 * The clipboard carries graph JSON (a document fragment with `nodes` and `edges`
 * in the file format), so a copy in one tab pastes into another, or into a file.
 */
export interface ClipboardFragment {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** The chosen nodes and the edges between them, as JSON text. */
export function copyFragment(nodes: readonly GraphNode[], edges: readonly GraphEdge[], selected: ReadonlySet<string>): string {
  const picked = nodes.filter((n) => selected.has(n.id));
  const inner = edges.filter((e) => selected.has(e.source) && selected.has(e.target));
  return JSON.stringify({ version: 1, nodes: picked, edges: inner }, null, 2);
}

/** Reads clipboard text; anything that is not graph JSON gives undefined (the paste is ignored). */
export function parseFragment(text: string): ClipboardFragment | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { nodes?: unknown }).nodes)) return undefined;
  const raw = doc as { nodes: unknown[]; edges?: unknown[] };
  const nodes: GraphNode[] = [];
  for (const n of raw.nodes) {
    const r = GraphNodeSchema.safeParse(n);
    if (r.success) nodes.push(r.data);
  }
  if (nodes.length === 0) return undefined;
  const ids = new Set(nodes.map((n) => n.id));
  const edges: GraphEdge[] = [];
  for (const e of raw.edges ?? []) {
    const r = GraphEdgeSchema.safeParse(e);
    if (r.success && ids.has(r.data.source) && ids.has(r.data.target)) edges.push(r.data);
  }
  return { nodes, edges };
}

/**
 * The fragment renamed so its ids do not clash with `taken`, moved so its top-left
 * corner lands at `at` (or shifted by 40px when no point is given).
 */
export function placeFragment(frag: ClipboardFragment, taken: ReadonlySet<string>, at?: { x: number; y: number }): ClipboardFragment {
  const used = new Set(taken);
  const rename = new Map<string, string>();
  for (const n of frag.nodes) {
    const id = uniqueId(n.id, used);
    used.add(id);
    rename.set(n.id, id);
  }
  const minX = Math.min(...frag.nodes.map((n) => n.position.x));
  const minY = Math.min(...frag.nodes.map((n) => n.position.y));
  const dx = at ? at.x - minX : 40;
  const dy = at ? at.y - minY : 40;
  return {
    nodes: frag.nodes.map((n) => ({ ...n, id: rename.get(n.id)!, position: { x: n.position.x + dx, y: n.position.y + dy } })),
    edges: frag.edges.map((e) => {
      const moved = { source: rename.get(e.source)!, sourceHandle: e.sourceHandle, target: rename.get(e.target)!, targetHandle: e.targetHandle };
      return { ...moved, id: edgeId(moved) };
    }),
  };
}
