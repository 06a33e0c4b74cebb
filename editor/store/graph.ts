/**
 * The editor's one store: graph document (React Flow nodes and edges), catalog,
 * compiler errors, live run and status state, and every action that changes them.
 * Every React Flow state helper is used here only, so an upgrade touches one file.
 */
import {
  applyEdgeChanges,
  applyNodeChanges,
  type Edge,
  type EdgeChange,
  type FinalConnectionState,
  type Node,
  type NodeChange,
  type ReactFlowInstance,
  useReactFlow,
} from '@xyflow/react';
import { temporal } from 'zundo';
import { create } from 'zustand';
import type { Catalog } from '../../shared/catalog/index.js';
import { compile } from '../../shared/compile.js';
import type { GraphError } from '../../shared/errors.js';
import { edgeId, type FlowDocument, type FlowNodeData, fromFlow, type Graph, GRAPH_VERSION, toFlow } from '../../shared/graph.js';
import { PORT_COLOURS } from '../../shared/ports.js';
import type { GraphStatus, TraceSpan } from '../../shared/protocol.js';
import { copyFragment, parseFragment, placeFragment } from '../lib/clipboard.js';
import { type Connection, checkConnection, type ConnectionCheck } from '../lib/connection.js';
import { uniqueId } from '../lib/ids.js';
import { BUILTIN_KIND_INFO, catalogWith, type KindInfo, kindFromRemote, type RemoteKind } from '../lib/kinds.js';
import { autoLayout } from '../lib/layout.js';
import { setAt } from '../lib/paths.js';

export { ReactFlowProvider } from '@xyflow/react';
/** The React Flow instance hook, re-exported so components never reach into React Flow state directly. */
export const useFlow = useReactFlow<BNode, BEdge>;

export type BNode = Node<FlowNodeData, 'beamline'>;
export type BEdge = Edge;
export type Meta = FlowDocument['meta'];

export interface NodeRun {
  state: 'running' | 'done' | 'error';
  ms?: number;
  preview?: string;
  error?: string;
}
export interface RunState {
  requestId: string | null;
  nodes: Record<string, NodeRun>;
  tokens: string;
  output?: unknown;
  error?: string;
  trace: TraceSpan[];
  busy: boolean;
}
export type Panel = 'inspector' | 'placement' | 'console';
export interface Notice {
  text: string;
  tone: 'info' | 'error' | 'ok';
  at: number;
}

interface Doc {
  meta: Meta;
  nodes: BNode[];
  edges: BEdge[];
}

export interface EditorState extends Doc {
  kinds: KindInfo[];
  kindMap: Record<string, KindInfo>;
  catalog: Catalog | undefined;
  /** Compiler errors of the current graph, refreshed as it changes. */
  errors: GraphError[];
  /** Errors the server returned on the last deploy; cleared by the next edit. */
  serverErrors: GraphError[];
  notice: Notice | null;
  panel: Panel;
  /** Screen point where Ctrl/Cmd+K opened the quick-add box, or null when closed. */
  quickAdd: { x: number; y: number } | null;
  commandPalette: boolean;
  examplesOpen: boolean;
  minimap: boolean;
  pointer: { x: number; y: number };
  deployed: string | null;
  status: GraphStatus | null;
  run: RunState;
  flow: ReactFlowInstance<BNode, BEdge> | null;

  onNodesChange(changes: NodeChange<BNode>[]): void;
  onEdgesChange(changes: EdgeChange<BEdge>[]): void;
  checkConnection(c: Connection): ConnectionCheck;
  connect(c: Connection): boolean;
  connectEnd(state: FinalConnectionState): void;
  dragStart(): void;
  dragStop(): void;
  addNode(kind: string, position: { x: number; y: number }): string | undefined;
  updateNode(id: string, field: 'config' | 'deployment', path: string[], value: unknown): void;
  setLabel(id: string, label: string): void;
  setMeta(patch: Partial<Meta>): void;
  select(ids: string[]): void;
  selectAll(): void;
  deleteSelection(): void;
  copySelection(): string | undefined;
  paste(text: string, at?: { x: number; y: number }): number;
  duplicate(): void;
  layout(): void;
  load(graph: Graph): void;
  newGraph(): void;
  exportGraph(): Graph;
  setRemoteKinds(remote: RemoteKind[]): void;
  notify(text: string, tone?: Notice['tone']): void;
  set(patch: Partial<EditorState>): void;
  runStart(requestId: string): void;
  runNode(node: string, run: NodeRun): void;
  runToken(token: string): void;
  runEnd(patch: Partial<RunState>): void;
}

const EMPTY_META: Meta = { version: GRAPH_VERSION, name: 'untitled', routePrefix: '/untitled' };
const EMPTY_RUN: RunState = { requestId: null, nodes: {}, tokens: '', trace: [], busy: false };

const keyed = (kinds: KindInfo[]) => Object.fromEntries(kinds.map((k) => [k.kind, k]));

/** Same document: nodes and edges compared by what a file would hold, by reference (cheap on every change). */
export function sameDoc(a: Partial<Doc>, b: Partial<Doc>): boolean {
  if (a.meta !== b.meta) return false;
  const an = a.nodes ?? [];
  const bn = b.nodes ?? [];
  if (an.length !== bn.length) return false;
  for (let i = 0; i < an.length; i++) {
    if (an[i].id !== bn[i].id || an[i].data !== bn[i].data || an[i].position !== bn[i].position) return false;
  }
  const ae = a.edges ?? [];
  const be = b.edges ?? [];
  if (ae.length !== be.length) return false;
  for (let i = 0; i < ae.length; i++) if (ae[i].id !== be[i].id) return false;
  return true;
}

/** Whether the parts the compiler reads changed (positions do not count). */
function sameGraph(a: Doc, b: Doc): boolean {
  if (a.meta !== b.meta || a.nodes.length !== b.nodes.length || a.edges.length !== b.edges.length) return false;
  for (let i = 0; i < a.nodes.length; i++) if (a.nodes[i].id !== b.nodes[i].id || a.nodes[i].data !== b.nodes[i].data) return false;
  for (let i = 0; i < a.edges.length; i++) if (a.edges[i].id !== b.edges[i].id) return false;
  return true;
}

/** Edges drawn in the colour of the value they carry (the source port's type); UI-only, never saved. */
function colourEdges(edges: BEdge[], nodes: readonly BNode[], kindMap: Record<string, KindInfo>): BEdge[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  return edges.map((e) => {
    const n = byId.get(e.source);
    const port = n && kindMap[n.data.kind]?.ports(n.data.config).outputs.find((p) => p.name === e.sourceHandle);
    return port ? { ...e, style: { stroke: PORT_COLOURS[port.type], strokeWidth: 2 } } : e;
  });
}

function toDoc(graph: Graph, kindMap: Record<string, KindInfo>): Doc {
  const flow = toFlow(graph);
  const nodes = flow.nodes as BNode[];
  return { meta: flow.meta, nodes, edges: colourEdges(flow.edges as BEdge[], nodes, kindMap) };
}

function flowToGraph(s: Doc): Graph {
  return fromFlow({ meta: s.meta, nodes: s.nodes as FlowDocument['nodes'], edges: s.edges as FlowDocument['edges'] });
}

let dragSnapshot: Doc | null = null;

/** After React has drawn the new nodes (and measured them), fit them in view. */
function fitSoon(get: () => EditorState) {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => get().flow?.fitView({ padding: 0.15, maxZoom: 1 }));
}

export const useEditor = create<EditorState>()(
  temporal(
    (set, get) => ({
      meta: EMPTY_META,
      nodes: [],
      edges: [],
      kinds: BUILTIN_KIND_INFO,
      kindMap: keyed(BUILTIN_KIND_INFO),
      catalog: undefined,
      errors: [],
      serverErrors: [],
      notice: null,
      panel: 'inspector',
      quickAdd: null,
      commandPalette: false,
      examplesOpen: false,
      minimap: true,
      pointer: { x: 0, y: 0 },
      deployed: null,
      status: null,
      run: EMPTY_RUN,
      flow: null,

      onNodesChange(changes) {
        // Removals go through deleteSelection so one delete is one undo step with its edges.
        const kept = changes.filter((c) => c.type !== 'remove');
        if (kept.length) set({ nodes: applyNodeChanges(kept, get().nodes) });
      },
      onEdgesChange(changes) {
        set({ edges: applyEdgeChanges(changes, get().edges) });
      },
      checkConnection(c) {
        const { nodes, edges, kindMap } = get();
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
          get().notify(`Connection refused: ${check.reason}`, 'error');
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
        const [src, dst] = from.type === 'source' ? [from, to] : [to, from];
        const check = get().checkConnection({ source: src.nodeId, sourceHandle: src.id, target: dst.nodeId, targetHandle: dst.id });
        get().notify(`Connection refused: ${check.ok ? 'connect an output to an input' : check.reason}`, 'error');
      },
      dragStart() {
        const { meta, nodes, edges } = get();
        dragSnapshot = { meta, nodes, edges };
        useEditor.temporal.getState().pause();
      },
      dragStop() {
        const t = useEditor.temporal.getState();
        t.resume();
        const before = dragSnapshot;
        dragSnapshot = null;
        if (!before) return;
        const was = new Map(before.nodes.map((n) => [n.id, n.position]));
        const moved = get().nodes.some((n) => {
          const p = was.get(n.id);
          return p && (p.x !== n.position.x || p.y !== n.position.y);
        });
        // The whole drag becomes one undo step: the state before it.
        if (moved) useEditor.temporal.setState({ pastStates: [...t.pastStates, before].slice(-200), futureStates: [] });
      },
      addNode(kind, position) {
        const k = get().kindMap[kind];
        if (!k) return undefined;
        const taken = new Set(get().nodes.map((n) => n.id));
        const id = uniqueId(kind, taken);
        const node: BNode = {
          id,
          type: 'beamline',
          position: { x: Math.round(position.x), y: Math.round(position.y) },
          data: { kind, label: k.title, config: {}, deployment: {} },
          selected: true,
        };
        set({ nodes: [...get().nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node], edges: get().edges.map((e) => (e.selected ? { ...e, selected: false } : e)), serverErrors: [] });
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
          const ports = k.ports(n.data.config);
          const edges = get().edges.filter(
            (e) => (e.source !== id || ports.outputs.some((p) => p.name === e.sourceHandle)) && (e.target !== id || ports.inputs.some((p) => p.name === e.targetHandle)),
          );
          if (edges.length !== get().edges.length) {
            // Merge into the same undo step as the config edit.
            useEditor.temporal.getState().pause();
            set({ edges });
            useEditor.temporal.getState().resume();
          }
        }
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
        });
      },
      selectAll() {
        set({ nodes: get().nodes.map((n) => (n.selected ? n : { ...n, selected: true })), edges: get().edges.map((e) => (e.selected ? e : { ...e, selected: true })) });
      },
      deleteSelection() {
        const { nodes, edges } = get();
        const gone = new Set(nodes.filter((n) => n.selected).map((n) => n.id));
        const keptEdges = edges.filter((e) => !e.selected && !gone.has(e.source) && !gone.has(e.target));
        if (gone.size === 0 && keptEdges.length === edges.length) return;
        set({ nodes: nodes.filter((n) => !gone.has(n.id)), edges: keptEdges, serverErrors: [] });
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
        if (!frag) return 0;
        const s = get();
        const placed = placeFragment(frag, new Set(s.nodes.map((n) => n.id)), at);
        const added = toDoc({ ...flowToGraph(s), nodes: placed.nodes, edges: placed.edges }, s.kindMap);
        set({
          nodes: [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...added.nodes.map((n) => ({ ...n, selected: true }))],
          edges: [...s.edges.map((e) => (e.selected ? { ...e, selected: false } : e)), ...added.edges],
          serverErrors: [],
        });
        return placed.nodes.length;
      },
      duplicate() {
        const text = get().copySelection();
        if (text) get().paste(text);
      },
      layout() {
        const { nodes, edges } = get();
        const pos = autoLayout(
          nodes.map((n) => ({ id: n.id, width: n.measured?.width, height: n.measured?.height })),
          edges,
        );
        set({ nodes: nodes.map((n) => ({ ...n, position: pos.get(n.id) ?? n.position })) });
        fitSoon(get);
      },
      load(graph) {
        // Live status stays when the document is (a version of) the deployed graph.
        const same = get().deployed === graph.name;
        set({ ...toDoc(graph, get().kindMap), serverErrors: [], run: EMPTY_RUN, ...(same ? {} : { status: null, deployed: null }) });
        useEditor.temporal.getState().clear();
        fitSoon(get);
      },
      newGraph() {
        set({ meta: EMPTY_META, nodes: [], edges: [], serverErrors: [], run: EMPTY_RUN, status: null, deployed: null });
        useEditor.temporal.getState().clear();
      },
      exportGraph() {
        return flowToGraph(get());
      },
      setRemoteKinds(remote) {
        const builtin = new Set(BUILTIN_KIND_INFO.map((k) => k.kind));
        const extra = remote.filter((r) => !builtin.has(r.kind));
        const kinds = [...BUILTIN_KIND_INFO, ...extra.map(kindFromRemote)];
        set({ kinds, kindMap: keyed(kinds), catalog: extra.length ? catalogWith(extra) : undefined });
      },
      notify(text, tone = 'info') {
        set({ notice: { text, tone, at: Date.now() } });
      },
      set(patch) {
        set(patch);
      },
      runStart(requestId) {
        set({ run: { ...EMPTY_RUN, requestId, busy: true } });
      },
      runNode(node, run) {
        const r = get().run;
        set({ run: { ...r, nodes: { ...r.nodes, [node]: { ...r.nodes[node], ...run } } } });
      },
      runToken(token) {
        const r = get().run;
        set({ run: { ...r, tokens: r.tokens + token } });
      },
      runEnd(patch) {
        set({ run: { ...get().run, ...patch, busy: false } });
      },
    }),
    {
      partialize: (s): Partial<EditorState> => ({ meta: s.meta, nodes: s.nodes, edges: s.edges }),
      equality: (a, b) => sameDoc(a, b),
      limit: 200,
    },
  ),
);

// The server's errors describe the document it was sent; after undo or redo they no longer apply.
export const undo = () => {
  useEditor.temporal.getState().undo();
  useEditor.setState({ serverErrors: [] });
};
export const redo = () => {
  useEditor.temporal.getState().redo();
  useEditor.setState({ serverErrors: [] });
};
export const canUndo = () => useEditor.temporal.getState().pastStates.length > 0;
export const canRedo = () => useEditor.temporal.getState().futureStates.length > 0;

/** Recompile shortly after the graph changes (not on every drag frame), so errors show live. */
let compileTimer: ReturnType<typeof setTimeout> | undefined;
function recompile() {
  const s = useEditor.getState();
  const r = compile(flowToGraph(s), s.catalog);
  useEditor.setState({ errors: r.ok ? [] : r.errors });
}
useEditor.subscribe((s, prev) => {
  if (sameGraph(s, prev) && s.catalog === prev.catalog) return;
  clearTimeout(compileTimer);
  compileTimer = setTimeout(recompile, 60);
});
recompile();
