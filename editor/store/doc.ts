/**
 * The document slice: the graph being edited (React Flow nodes and edges), the
 * catalog it is checked against, its compiler errors, and what "unsaved" compares
 * against. Every React Flow state helper is used here only, so an upgrade touches one file.
 */
import { applyEdgeChanges, applyNodeChanges, type Edge, type EdgeChange, type FinalConnectionState, type Node, type NodeChange } from '@xyflow/react';
import type { Catalog } from '../../shared/catalog/index.js';
import type { GraphError } from '../../shared/errors.js';
import { edgeId, type FlowDocument, type FlowNodeData, fromFlow, type Graph, type GraphNode, GRAPH_VERSION, toFlow } from '../../shared/graph.js';
import { PORT_COLOURS } from '../../shared/ports.js';
import { type ClipboardFragment, copyFragment, parseFragment } from '../lib/clipboard.js';
import { type Connection, checkConnection, type ConnectionCheck } from '../lib/connection.js';
import * as ops from '../lib/document-ops.js';
import { NOTE } from '../lib/groups.js';
import { BUILTIN_KIND_INFO, catalogWith, type KindInfo, kindFromRemote, type RemoteKind } from '../lib/kinds.js';
import { autoLayout } from '../lib/layout.js';
import { setAt } from '../lib/paths.js';
import { estimateSize, freeOffset, freeSpot, NODE_MIN_HEIGHT, NODE_WIDTH, type Rect } from '../lib/place.js';
import { FIT_VIEW } from '../lib/zoom.js';
import { groupsFromGraph, type Group, type NoteNode, notesFromGraph, notesToGraph } from './annotations.js';
import { EMPTY_RUN } from './live.js';
import type { Get, History, SetState } from './types.js';

export type BNode = Node<FlowNodeData, 'beamline'>;
export type BEdge = Edge;
/** The graph's own fields; notes and groups are kept beside the nodes (store/annotations.ts). */
export type Meta = Omit<FlowDocument['meta'], 'notes' | 'groups'>;

export interface Doc {
  meta: Meta;
  nodes: BNode[];
  edges: BEdge[];
  notes: NoteNode[];
  groups: Group[];
}

/** Notes and groups, the rest of the document, are the annotations slice's. */
export interface DocSlice extends Omit<Doc, 'notes' | 'groups'> {
  kinds: KindInfo[];
  kindMap: Record<string, KindInfo>;
  catalog: Catalog | undefined;
  /** Compiler errors of the current graph, refreshed as it changes. */
  errors: GraphError[];
  /** Errors the server returned on the last deploy or preview; cleared by the next edit. */
  serverErrors: GraphError[];
  /** The graph as last opened, saved, exported or deployed: what "unsaved" compares against (null: never saved). */
  baseline: Graph | null;
  /** The canvas differs from `baseline` (refreshed shortly after each change). */
  dirty: boolean;

  /** Changes from React Flow, to nodes and to notes and group frames (routed to the annotations slice). */
  onNodesChange(changes: NodeChange<BNode>[]): void;
  onEdgesChange(changes: EdgeChange<BEdge>[]): void;
  checkConnection(c: Connection): ConnectionCheck;
  connect(c: Connection): boolean;
  connectEnd(state: FinalConnectionState): void;
  dragStart(): void;
  /** `dropped`: the canvas ids of what was dragged (nodes join or leave groups where they land). */
  dragStop(dropped?: string[]): void;
  addNode(kind: string, position: { x: number; y: number }): string | undefined;
  updateNode(id: string, field: 'config' | 'deployment', path: string[], value: unknown): void;
  /** Replaces the deployment of each node named (a tune's Apply): one undo step, whatever the number of nodes. */
  applyDeployments(byId: Record<string, Record<string, unknown>>): void;
  setLabel(id: string, label: string): void;
  setMeta(patch: Partial<Meta>): void;
  select(ids: string[]): void;
  selectAll(): void;
  deleteSelection(): void;
  copySelection(): string | undefined;
  paste(text: string, at?: { x: number; y: number }): number;
  duplicate(): void;
  layout(): void;
  /** Opens a graph; `baseline` is what it counts as saved (default: the graph itself). */
  load(graph: Graph, opts?: { baseline?: Graph | null }): void;
  newGraph(): void;
  exportGraph(): Graph;
  /** The canvas now counts as saved (exported, or deployed). */
  markSaved(graph?: Graph): void;
  setRemoteKinds(remote: RemoteKind[]): void;
  setServerErrors(errors: GraphError[]): void;
}

export const EMPTY_META: Meta = { version: GRAPH_VERSION, name: 'untitled', routePrefix: '/untitled' };
export const EMPTY_GRAPH: Graph = fromFlow({ meta: EMPTY_META, nodes: [], edges: [] });

const keyed = (kinds: KindInfo[]) => Object.fromEntries(kinds.map((k) => [k.kind, k]));

/** Edges drawn in the colour of the value they carry (the source port's type); UI-only, never saved. */
export function colourEdges(edges: BEdge[], nodes: readonly BNode[], kindMap: Record<string, KindInfo>): BEdge[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  return edges.map((e) => {
    const n = byId.get(e.source);
    const port = n && kindMap[n.data.kind]?.ports(n.data.config).outputs.find((p) => p.name === e.sourceHandle);
    return port ? { ...e, style: { stroke: PORT_COLOURS[port.type], strokeWidth: 2 } } : e;
  });
}

function toDoc(graph: Graph, kindMap: Record<string, KindInfo>): Doc {
  const flow = toFlow(graph);
  const { notes: fileNotes, groups: fileGroups, ...meta } = flow.meta;
  const nodes = flow.nodes as BNode[];
  const notes = notesFromGraph(fileNotes);
  return { meta, nodes, edges: colourEdges(flow.edges as BEdge[], nodes, kindMap), notes, groups: groupsFromGraph(fileGroups, nodes, notes) };
}

export function flowToGraph(s: Doc): Graph {
  const g = fromFlow({ meta: s.meta, nodes: s.nodes as FlowDocument['nodes'], edges: s.edges as FlowDocument['edges'] });
  // Written only when there are some, so a graph without them saves as it did.
  return { ...g, ...(s.notes.length ? { notes: notesToGraph(s.notes) } : {}), ...(s.groups.length ? { groups: s.groups } : {}) };
}

let dragSnapshot: Doc | null = null;

/** After React has drawn the new nodes (and measured them), fit them in view, no further out than titles stay readable. */
function fitSoon(get: Get) {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => get().flow?.fitView(FIT_VIEW));
}

/**
 * Nodes just added or pasted, for a moment after: they were placed by an estimate of
 * their size, and a card that turns out taller as it is drawn (the compiler's errors,
 * a warning) is moved off whatever it then covers, in the same undo step as its adding.
 */
const unmeasured = new Map<string, number>();
const SETTLE_MS = 2000;

function settlePlaced(changes: NodeChange<BNode>[], set: SetState, get: Get, history: History) {
  if (!unmeasured.size) return;
  const now = Date.now();
  for (const [id, until] of unmeasured) if (until < now) unmeasured.delete(id);
  const ids = changes.flatMap((c) => (c.type === 'dimensions' && unmeasured.has(c.id) ? [c.id] : []));
  if (!ids.length) return;
  let nodes = get().nodes;
  let moved = false;
  for (const id of ids) {
    const n = nodes.find((x) => x.id === id);
    if (!n?.measured?.width || !n.measured.height) continue;
    const others = takenRects({ ...get(), nodes: nodes.filter((x) => x.id !== id) });
    const p = freeSpot({ x: n.position.x, y: n.position.y, w: n.measured.width, h: n.measured.height }, others);
    if (p.x === n.position.x && p.y === n.position.y) continue;
    nodes = nodes.map((x) => (x.id === id ? { ...x, position: p } : x));
    moved = true;
  }
  if (!moved) return;
  // Not a step of its own; a drag already pausing the history stays paused.
  const tracking = history.get().isTracking;
  if (tracking) history.get().pause();
  set({ nodes });
  if (tracking) history.get().resume();
}

/** What is on the canvas, as boxes a new node must not cover: cards (measured, or estimated before they are) and notes. */
function takenRects(s: ReturnType<Get>): Rect[] {
  const rects: Rect[] = [];
  for (const n of s.nodes) {
    if (n.hidden) continue;
    const ports = s.kindMap[n.data.kind]?.ports(n.data.config);
    const est = estimateSize(ports?.inputs.length ?? 1, ports?.outputs.length ?? 1, s.kindMap[n.data.kind]?.runsIn === 'replica');
    rects.push({ x: n.position.x, y: n.position.y, w: n.measured?.width ?? est.w, h: n.measured?.height ?? est.h });
  }
  for (const n of s.notes ?? []) {
    if (!n.hidden) rects.push({ x: n.position.x, y: n.position.y, w: n.measured?.width ?? n.width ?? 220, h: n.measured?.height ?? n.height ?? 100 });
  }
  return rects;
}

/** The boxes pasted nodes will take (estimated from their ports: they are not drawn yet). */
function blockOf(nodes: readonly GraphNode[], kindMap: Record<string, KindInfo>): Rect[] {
  return nodes.map((n) => {
    const k = kindMap[n.kind];
    const ports = k?.ports(n.config ?? {});
    return { x: n.position.x, y: n.position.y, ...estimateSize(ports?.inputs.length ?? 1, ports?.outputs.length ?? 1, k?.runsIn === 'replica') };
  });
}

const selectedIds = (list: readonly { id: string; selected?: boolean }[]) => list.filter((x) => x.selected).map((x) => x.id);

export function createDocSlice(set: SetState, get: Get, history: History): DocSlice {
  /**
   * Adds a fragment (lib/document-ops.ts's pasteFragment), moved as one block to the nearest place
   * where it covers nothing; what was added becomes the selection. Returns how many nodes were added.
   */
  const insert = (frag: ClipboardFragment, at?: { x: number; y: number }): number => {
    const s = get();
    const { added } = ops.pasteFragment(flowToGraph(s), frag, at, (nodes) => freeOffset(blockOf(nodes, s.kindMap), takenRects(s)));
    if (!added.nodes.length) return 0;
    const doc = toDoc({ ...EMPTY_GRAPH, nodes: added.nodes, edges: added.edges }, s.kindMap);
    set({
      nodes: [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...doc.nodes.map((n) => ({ ...n, selected: true }))],
      edges: [...s.edges.map((e) => (e.selected ? { ...e, selected: false } : e)), ...doc.edges],
      serverErrors: [],
    });
    for (const n of added.nodes) unmeasured.set(n.id, Date.now() + SETTLE_MS);
    return added.nodes.length;
  };

  return {
    meta: EMPTY_META,
    nodes: [],
    edges: [],
    kinds: BUILTIN_KIND_INFO,
    kindMap: keyed(BUILTIN_KIND_INFO),
    catalog: undefined,
    errors: [],
    serverErrors: [],
    baseline: EMPTY_GRAPH,
    dirty: false,

    onNodesChange(changes) {
      // Notes and group frames share the canvas with nodes; their ids hold a ':' no node id has.
      const others = changes.filter((c) => 'id' in c && c.id.includes(':'));
      if (others.length) get().annotationChanges(others as NodeChange[]);
      // Removals go through deleteSelection so one delete is one undo step with its edges.
      const kept = changes.filter((c) => c.type !== 'remove' && !('id' in c && c.id.includes(':')));
      if (kept.length) set({ nodes: applyNodeChanges(kept, get().nodes) });
      settlePlaced(kept, set, get, history);
    },
    onEdgesChange(changes) {
      set({ edges: applyEdgeChanges(changes, get().edges) });
    },
    checkConnection(c) {
      const { nodes, kindMap, reconnecting } = get();
      // An edge whose end is being moved is being replaced: it does not count against the new one.
      const edges = reconnecting ? get().edges.filter((e) => e.id !== reconnecting) : get().edges;
      const byId = new Map(nodes.map((n) => [n.id, n]));
      return checkConnection(c, edges, (id) => {
        const n = byId.get(id);
        const k = n && kindMap[n.data.kind];
        return k ? k.ports(n.data.config) : undefined;
      });
    },
    connect(c) {
      const check = get().checkConnection(c);
      if (!check.ok) {
        get().notify(`Connection refused: ${check.reason}`, 'error', 'edit');
        return false;
      }
      const e = { source: c.source!, sourceHandle: c.sourceHandle!, target: c.target!, targetHandle: c.targetHandle! };
      set({ edges: [...get().edges, ...colourEdges([{ ...e, id: edgeId(e) }], get().nodes, get().kindMap)], serverErrors: [] });
      return true;
    },
    connectEnd(state) {
      // A refused drop: say why (isValidConnection only greys the handle).
      if (state.isValid !== false || !state.fromHandle || !state.toHandle) return;
      const from = state.fromHandle;
      const to = state.toHandle;
      // Let go on the port it started from: nothing was asked for.
      if (from.nodeId === to.nodeId && from.id === to.id && from.type === to.type) return;
      const [src, dst] = from.type === 'source' ? [from, to] : [to, from];
      const check = get().checkConnection({ source: src.nodeId, sourceHandle: src.id, target: dst.nodeId, targetHandle: dst.id });
      get().notify(`Connection refused: ${check.ok ? 'connect an output to an input' : check.reason}`, 'error', 'edit');
    },
    dragStart() {
      const { meta, nodes, edges, notes, groups } = get();
      dragSnapshot = { meta, nodes, edges, notes, groups };
      history.get().pause();
    },
    dragStop(dropped) {
      const t = history.get();
      // Joining or leaving a group where the drag ends belongs to the same undo step.
      if (dropped?.length) get().regroupAfterDrop(dropped);
      t.resume();
      const before = dragSnapshot;
      dragSnapshot = null;
      if (!before) return;
      const was = new Map([...before.nodes, ...before.notes].map((n) => [n.id, n.position]));
      const moved = [...get().nodes, ...get().notes].some((n) => {
        const p = was.get(n.id);
        return p && (p.x !== n.position.x || p.y !== n.position.y);
      });
      // The whole drag becomes one undo step: the state before it.
      if (moved) history.set({ pastStates: [...t.pastStates, before].slice(-200), futureStates: [] });
    },
    addNode(kind, position) {
      const k = get().kindMap[kind];
      if (!k) return undefined;
      // As near to where it was asked for as it can go without covering another card.
      const ports = k.ports({});
      const size = estimateSize(ports.inputs.length, ports.outputs.length, k.runsIn === 'replica');
      const at = freeSpot({ x: Math.round(position.x), y: Math.round(position.y), ...size }, takenRects(get()));
      const added = ops.addNode(flowToGraph(get()), kind, at, k.title).node;
      const id = added.id;
      const node: BNode = { ...toDoc({ ...EMPTY_GRAPH, nodes: [added] }, get().kindMap).nodes[0], selected: true };
      set({ nodes: [...get().nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node], edges: get().edges.map((e) => (e.selected ? { ...e, selected: false } : e)), serverErrors: [] });
      unmeasured.set(id, Date.now() + SETTLE_MS);
      return id;
    },
    updateNode(id, field, path, value) {
      set({
        nodes: get().nodes.map((n) => (n.id === id ? { ...n, data: { ...n.data, [field]: setAt(n.data[field], path, value) } } : n)),
        serverErrors: [],
      });
      // Ports can depend on config: drop edges whose port vanished (e.g. a removed switch case).
      if (field === 'config') {
        const n = get().nodes.find((x) => x.id === id)!;
        const k = get().kindMap[n.data.kind];
        if (!k) return;
        const graph = flowToGraph(get());
        const pruned = ops.pruneEdges(graph, id, k.ports(n.data.config));
        if (pruned !== graph) {
          const kept = new Set(pruned.edges.map(ops.edgeKey));
          // Merge into the same undo step as the config edit.
          history.get().pause();
          set({ edges: get().edges.filter((e) => kept.has(e.id)) });
          history.get().resume();
        }
      }
    },
    applyDeployments(byId) {
      // One set(), so one history entry: undo restores every node at once.
      set({ nodes: get().nodes.map((n) => (byId[n.id] ? { ...n, data: { ...n.data, deployment: byId[n.id] } } : n)), serverErrors: [] });
    },
    setLabel(id, label) {
      set({ nodes: get().nodes.map((n) => (n.id === id ? { ...n, data: { ...n.data, label } } : n)) });
    },
    setMeta(patch) {
      set({ meta: { ...get().meta, ...patch }, serverErrors: [] });
    },
    select(ids) {
      const want = new Set(ids);
      set({
        nodes: get().nodes.map((n) => (!!n.selected === want.has(n.id) ? n : { ...n, selected: want.has(n.id) })),
        edges: get().edges.map((e) => (e.selected ? { ...e, selected: false } : e)),
        notes: get().notes.map((n) => (n.selected ? { ...n, selected: false } : n)),
        selectedGroups: [],
      });
    },
    selectAll() {
      set({ nodes: get().nodes.map((n) => (n.selected ? n : { ...n, selected: true })), edges: get().edges.map((e) => (e.selected ? e : { ...e, selected: true })) });
    },
    deleteSelection() {
      const s = get();
      const graph = flowToGraph(s);
      // A selected group's frame goes; its members stay unless they are selected too.
      const next = ops.removeItems(graph, {
        nodes: selectedIds(s.nodes),
        edges: selectedIds(s.edges),
        notes: selectedIds(s.notes).map((id) => id.slice(NOTE.length)),
        groups: s.selectedGroups,
      });
      if (next === graph) return;
      const nodes = new Set(next.nodes.map((n) => n.id));
      const edges = new Set(next.edges.map(ops.edgeKey));
      const notes = new Set((next.notes ?? []).map((n) => NOTE + n.id));
      set({
        nodes: s.nodes.filter((n) => nodes.has(n.id)),
        notes: s.notes.filter((n) => notes.has(n.id)),
        groups: next.groups ?? [],
        selectedGroups: [],
        edges: s.edges.filter((e) => edges.has(e.id)),
        serverErrors: [],
      });
    },
    copySelection() {
      const s = get();
      const selected = new Set(s.nodes.filter((n) => n.selected).map((n) => n.id));
      if (selected.size === 0) return undefined;
      const g = flowToGraph(s);
      return copyFragment(g.nodes, g.edges, selected);
    },
    paste(text, at) {
      const frag = parseFragment(text);
      return frag ? insert(frag, at) : 0;
    },
    duplicate() {
      insert(ops.fragmentOf(flowToGraph(get()), selectedIds(get().nodes)));
    },
    layout() {
      const { nodes, edges } = get();
      const pos = autoLayout(
        nodes.map((n) => ({ id: n.id, width: n.measured?.width ?? NODE_WIDTH, height: n.measured?.height ?? NODE_MIN_HEIGHT })),
        edges,
      );
      set({ nodes: nodes.map((n) => ({ ...n, position: pos.get(n.id) ?? n.position })) });
      fitSoon(get);
    },
    load(graph, opts) {
      const doc = toDoc(graph, get().kindMap);
      const baseline = opts && 'baseline' in opts ? (opts.baseline ?? null) : graph;
      // The run shown was on the graph before; it stays in the history. An opened graph is shown.
      set({ ...doc, selectedGroups: [], editingNote: null, serverErrors: [], baseline, run: EMPTY_RUN, view: 'editor' });
      history.get().clear();
      fitSoon(get);
    },
    newGraph() {
      set({ meta: EMPTY_META, nodes: [], edges: [], notes: [], groups: [], selectedGroups: [], editingNote: null, serverErrors: [], baseline: EMPTY_GRAPH, run: EMPTY_RUN });
      history.get().clear();
      // A new graph starts at 1:1, not at the zoom the last one was left at.
      get().flow?.setViewport({ x: 0, y: 0, zoom: 1 });
    },
    exportGraph() {
      return flowToGraph(get());
    },
    markSaved(graph) {
      set({ baseline: graph ?? flowToGraph(get()), dirty: false });
    },
    setRemoteKinds(remote) {
      const builtin = new Set(BUILTIN_KIND_INFO.map((k) => k.kind));
      const extra = remote.filter((r) => !builtin.has(r.kind));
      const kinds = [...BUILTIN_KIND_INFO, ...extra.map(kindFromRemote)];
      set({ kinds, kindMap: keyed(kinds), catalog: extra.length ? catalogWith(extra) : undefined });
    },
    setServerErrors(errors) {
      set({ serverErrors: errors });
    },
  };
}
