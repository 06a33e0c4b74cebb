/**
 * What an edit does to the graph document, as plain functions on the file format (shared/graph.ts's
 * Graph), not on React Flow's nodes: add a node, delete (with the edges and group memberships that
 * go with it), drop edges whose port vanished, paste and duplicate. The store's actions call these
 * and carry the result over to what the canvas draws (selection, measured sizes stay there).
 * Group membership itself is lib/groups.ts (makeGroup, withoutMembers, afterDrop), also on the file's groups.
 * Each returns the graph it was given when nothing changes.
 */
import { edgeId, type Graph, type GraphEdge, type GraphNode } from '../../shared/graph.js';
import { type ClipboardFragment, placeFragment } from './clipboard.js';
import { NOTE, pruneGroups } from './groups.js';
import { uniqueId } from './ids.js';

export interface Point {
  x: number;
  y: number;
}

/** An edge's id as the canvas knows it: the one written, else source.sourceHandle->target.targetHandle. */
export const edgeKey = (e: GraphEdge): string => e.id ?? edgeId(e);

/** A node of `kind` with an id no other node has (embedder, embedder_2, …), empty config and deployment. */
export function addNode(g: Graph, kind: string, position: Point, label?: string): { graph: Graph; node: GraphNode } {
  const id = uniqueId(kind, new Set(g.nodes.map((n) => n.id)));
  const node: GraphNode = { id, kind, ...(label !== undefined ? { label } : {}), position: { x: position.x, y: position.y }, config: {}, deployment: {} };
  return { graph: { ...g, nodes: [...g.nodes, node] }, node };
}

/** What a delete names: node, edge, note (as the file has them, without `note:`) and group ids. */
export interface Removal {
  nodes?: Iterable<string>;
  edges?: Iterable<string>;
  notes?: Iterable<string>;
  groups?: Iterable<string>;
}

/**
 * Removes nodes with every edge to or from them, edges, notes, and group frames (their members stay);
 * groups lose the members that went, and a group left with none goes too.
 */
export function removeItems(g: Graph, r: Removal): Graph {
  const nodes = new Set(r.nodes);
  const edges = new Set(r.edges);
  const notes = new Set(r.notes);
  const frames = new Set(r.groups);
  const keptNodes = g.nodes.filter((n) => !nodes.has(n.id));
  const keptEdges = g.edges.filter((e) => !edges.has(edgeKey(e)) && !nodes.has(e.source) && !nodes.has(e.target));
  const keptNotes = (g.notes ?? []).filter((n) => !notes.has(n.id));
  const groups = g.groups ?? [];
  const keptGroups = pruneGroups(
    groups.filter((x) => !frames.has(x.id)),
    (k) => !(k.startsWith(NOTE) ? notes.has(k.slice(NOTE.length)) : nodes.has(k)),
  );
  if (keptNodes.length === g.nodes.length && keptEdges.length === g.edges.length && keptNotes.length === (g.notes ?? []).length && keptGroups.length === groups.length && keptGroups.every((x, i) => x === groups[i])) {
    return g;
  }
  const { notes: _n, groups: _g, ...rest } = g;
  return { ...rest, nodes: keptNodes, edges: keptEdges, ...(keptNotes.length ? { notes: keptNotes } : {}), ...(keptGroups.length ? { groups: keptGroups } : {}) };
}

/** The port names a node has now (its kind's ports for its config). */
export interface PortNames {
  inputs: readonly { name: string }[];
  outputs: readonly { name: string }[];
}

/** Drops the edges of node `id` whose port it no longer has (ports can depend on config, e.g. a removed switch case). */
export function pruneEdges(g: Graph, id: string, ports: PortNames): Graph {
  const edges = g.edges.filter(
    (e) => (e.source !== id || ports.outputs.some((p) => p.name === e.sourceHandle)) && (e.target !== id || ports.inputs.some((p) => p.name === e.targetHandle)),
  );
  return edges.length === g.edges.length ? g : { ...g, edges };
}

/** The chosen nodes and the edges between them (what a copy carries). */
export function fragmentOf(g: Graph, ids: Iterable<string>): ClipboardFragment {
  const picked = new Set(ids);
  return { nodes: g.nodes.filter((n) => picked.has(n.id)), edges: g.edges.filter((e) => picked.has(e.source) && picked.has(e.target)) };
}

/**
 * Adds a fragment: ids renamed where they clash, its top-left corner at `at` (40 units down and right
 * when no point is given), then moved as one block by `shift` (where it covers nothing: the caller's
 * knowledge of the canvas). Returns the new graph and what was added.
 */
export function pasteFragment(g: Graph, frag: ClipboardFragment, at?: Point, shift?: (nodes: readonly GraphNode[]) => Point): { graph: Graph; added: ClipboardFragment } {
  if (!frag.nodes.length) return { graph: g, added: { nodes: [], edges: [] } };
  const placed = placeFragment(frag, new Set(g.nodes.map((n) => n.id)), at);
  const d = shift?.(placed.nodes) ?? { x: 0, y: 0 };
  const nodes = placed.nodes.map((n) => ({ ...n, position: { x: n.position.x + d.x, y: n.position.y + d.y } }));
  return { graph: { ...g, nodes: [...g.nodes, ...nodes], edges: [...g.edges, ...placed.edges] }, added: { nodes, edges: placed.edges } };
}

/** Copies of the chosen nodes and the edges between them, beside the originals. */
export function duplicateNodes(g: Graph, ids: Iterable<string>, shift?: (nodes: readonly GraphNode[]) => Point): { graph: Graph; added: ClipboardFragment } {
  return pasteFragment(g, fragmentOf(g, ids), undefined, shift);
}
