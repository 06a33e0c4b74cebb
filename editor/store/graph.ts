/**
 * The editor's one store, made of three slices: the document (with undo), the UI,
 * and the live state from the server (deployments, status, indexes, runs). Components
 * read it with selectors and change it only through the slices' actions.
 */
import { useReactFlow } from '@xyflow/react';
import { temporal } from 'zundo';
import { create } from 'zustand';
import { compile } from '../../shared/compile.js';
import { diffGraphs } from '../../shared/graph-diff.js';
import { noticeStale } from '../lib/notices.js';
import { createAnnotationSlice } from './annotations.js';
import { type BEdge, type BNode, createDocSlice, type Doc, flowToGraph } from './doc.js';
import { createEditSlice } from './edits.js';
import { createLiveSlice } from './live.js';
import type { EditorState, History } from './types.js';
import { createUiSlice } from './ui.js';

export { ReactFlowProvider } from '@xyflow/react';
export type { Group, NoteNode } from './annotations.js';
export type { BEdge, BNode, Meta } from './doc.js';
export type { NodeRun, RunRecord, RunState } from './live.js';
export type { EditorState } from './types.js';
export type { ContextMenu, Dialog, Notice, Panel, View } from './ui.js';
/** The React Flow instance hook, re-exported so components never reach into React Flow state directly. */
export const useFlow = useReactFlow<BNode, BEdge>;

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
  if (a.groups !== b.groups) return false;
  const ao = a.notes ?? [];
  const bo = b.notes ?? [];
  if (ao.length !== bo.length) return false;
  for (let i = 0; i < ao.length; i++) {
    const x = ao[i];
    const y = bo[i];
    if (x.id !== y.id || x.data !== y.data || x.position !== y.position || x.width !== y.width || x.height !== y.height) return false;
  }
  return true;
}

/** Whether the parts the compiler reads changed (positions do not count). */
function sameGraph(a: Doc, b: Doc): boolean {
  if (a.meta !== b.meta || a.nodes.length !== b.nodes.length || a.edges.length !== b.edges.length) return false;
  for (let i = 0; i < a.nodes.length; i++) if (a.nodes[i].id !== b.nodes[i].id || a.nodes[i].data !== b.nodes[i].data) return false;
  for (let i = 0; i < a.edges.length; i++) if (a.edges[i].id !== b.edges[i].id) return false;
  return true;
}

const history: History = { get: () => useEditor.temporal.getState(), set: (p) => useEditor.temporal.setState(p) };

export const useEditor = create<EditorState>()(
  temporal(
    (set, get): EditorState => ({
      ...createDocSlice(set, get, history),
      ...createAnnotationSlice(set, get),
      ...createEditSlice(set, get, history),
      ...createUiSlice(set, get),
      ...createLiveSlice(set, get),
    }),
    {
      partialize: (s): Partial<EditorState> => ({ meta: s.meta, nodes: s.nodes, edges: s.edges, notes: s.notes, groups: s.groups }),
      equality: (a, b) => sameDoc(a, b),
      limit: 200,
    },
  ),
);

// The server's errors describe the document it was sent; after undo or redo they no longer apply.
export const undo = () => {
  useEditor.temporal.getState().undo();
  useEditor.getState().setServerErrors([]);
};
export const redo = () => {
  useEditor.temporal.getState().redo();
  useEditor.getState().setServerErrors([]);
};
export const canUndo = () => useEditor.temporal.getState().pastStates.length > 0;
export const canRedo = () => useEditor.temporal.getState().futureStates.length > 0;

/**
 * What follows from the document, recomputed shortly after it changes (not on every drag
 * frame): compiler errors (only when what the compiler reads changed), unsaved (against
 * the baseline) and modified (against the deployed version).
 */
export function derive(recompile = true): void {
  const s = useEditor.getState();
  const graph = flowToGraph(s);
  const dirty = s.baseline ? !diffGraphs(s.baseline, graph).same : s.nodes.length > 0;
  const d = s.deployedGraph && diffGraphs(s.deployedGraph, graph);
  const modified = !!d && !d.same && !d.layoutOnly;
  if (!recompile) {
    useEditor.setState({ dirty, modified });
    return;
  }
  const r = compile(graph, s.catalog);
  useEditor.setState({ errors: r.ok ? [] : r.errors, dirty, modified });
}
let stopStore: (() => void) | null = null;
/**
 * Starts what follows the store: the derived fields (derive, shortly after each change) and
 * toolbar messages that go when their cause does (lib/notices.ts: a refused connection at the
 * next edit, a refused deploy's errors once there are none). Called once by main.tsx (and by
 * the tests), not on import; a second call does nothing. Returns a function that stops both.
 */
export function startStore(): () => void {
  if (stopStore) return stopStore;
  let deriveTimer: ReturnType<typeof setTimeout> | undefined;
  let pendingCompile = false;
  const offDerive = useEditor.subscribe((s, prev) => {
    const graphChanged = !sameGraph(s, prev) || s.catalog !== prev.catalog;
    if (!graphChanged && sameDoc(s, prev) && s.baseline === prev.baseline && s.deployedGraph === prev.deployedGraph) return;
    pendingCompile ||= graphChanged;
    clearTimeout(deriveTimer);
    deriveTimer = setTimeout(() => {
      const c = pendingCompile;
      pendingCompile = false;
      derive(c);
    }, 60);
  });
  const offNotices = useEditor.subscribe((s) => {
    const n = s.notice;
    if (n?.cause && noticeStale(n.cause, { edited: !!n.doc && !sameDoc(n.doc, s), errors: s.errors.length + s.serverErrors.length })) s.clearNotice(n);
  });
  derive();
  stopStore = () => {
    clearTimeout(deriveTimer);
    offDerive();
    offNotices();
    stopStore = null;
  };
  return stopStore;
}
