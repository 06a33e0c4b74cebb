/**
 * Canvas edits beyond add/connect/delete: moving an edge's end to another port (or off the
 * canvas, which removes the edge), adding a node already connected to the port a connection
 * was dropped from, and finding a node to jump to. Each is one undo step.
 */
import { edgeId } from '../../shared/graph.js';
import { GROUP, memberKeys } from '../lib/groups.js';
import { connectionTo, type PortEnd } from '../lib/quick-add.js';
import type { Connection } from '../lib/connection.js';
import { colourEdges } from './doc.js';
import type { Get, History, SetState } from './types.js';

export interface EditSlice {
  /** The edge whose end is being dragged: connection checks leave it out (it is being replaced). */
  reconnecting: string | null;
  startReconnect(edgeId: string | null): void;
  /** Moves an edge to a new connection if it is allowed (else says why and keeps it). */
  reconnect(id: string, c: Connection): boolean;
  removeEdge(id: string): void;
  /** Adds a node of `kind` at `at`, connected to the port the connection came from: one undo step. */
  addConnected(kind: string, at: { x: number; y: number }, from: PortEnd, port: string): string | undefined;
  /** Makes a right-clicked item the selection, unless it is already part of it. */
  selectItem(target: 'pane' | 'node' | 'edge' | 'note' | 'group', id: string): void;
  /** Selects a node, opens its group if collapsed, and centres the view on it. */
  reveal(id: string): void;
}

export function createEditSlice(set: SetState, get: Get, history: History): EditSlice {
  /** Runs `fn` as one undo step (however many store changes it makes). */
  const oneStep = <T>(fn: () => T): T => {
    const { meta, nodes, edges, notes, groups } = get();
    const t = history.get();
    t.pause();
    let out: T;
    try {
      out = fn();
    } finally {
      t.resume();
    }
    const after = get();
    if (after.nodes !== nodes || after.edges !== edges || after.notes !== notes || after.groups !== groups || after.meta !== meta) {
      history.set({ pastStates: [...t.pastStates, { meta, nodes, edges, notes, groups }].slice(-200), futureStates: [] });
    }
    return out;
  };

  return {
    reconnecting: null,
    startReconnect(id) {
      set({ reconnecting: id });
    },
    reconnect(id, c) {
      if (!get().edges.some((e) => e.id === id)) return false;
      const others = get().edges.filter((e) => e.id !== id);
      set({ reconnecting: id });
      const check = get().checkConnection(c);
      set({ reconnecting: null });
      if (!check.ok) {
        get().notify(`Connection refused: ${check.reason}`, 'error', 'edit');
        return false;
      }
      const ends = { source: c.source!, sourceHandle: c.sourceHandle!, target: c.target!, targetHandle: c.targetHandle! };
      // A new edge (the old one's id and colour belonged to its old ends).
      const edge = { id: edgeId(ends), ...ends };
      set({ edges: [...others, ...colourEdges([edge], get().nodes, get().kindMap)], serverErrors: [] });
      return true;
    },
    removeEdge(id) {
      if (!get().edges.some((e) => e.id === id)) return;
      set({ edges: get().edges.filter((e) => e.id !== id), serverErrors: [] });
    },
    addConnected(kind, at, from, port) {
      return oneStep(() => {
        const id = get().addNode(kind, at);
        if (id) get().connect(connectionTo(from, id, port));
        return id;
      });
    },
    selectItem(target, id) {
      const s = get();
      const already =
        target === 'edge' ? s.edges.find((e) => e.id === id)?.selected : target === 'group' ? s.selectedGroups.includes(id.slice(GROUP.length)) : [...s.nodes, ...s.notes].find((n) => n.id === id)?.selected;
      if (already || target === 'pane') return;
      const only = <T extends { id: string; selected?: boolean }>(list: T[]) => list.map((x) => (!!x.selected === (x.id === id) ? x : { ...x, selected: x.id === id }));
      set({ nodes: only(s.nodes), notes: only(s.notes), edges: only(s.edges), selectedGroups: target === 'group' ? [id.slice(GROUP.length)] : [] });
    },
    reveal(id) {
      const s = get();
      const n = s.nodes.find((x) => x.id === id) ?? s.notes.find((x) => x.id === id);
      if (!n) return;
      const closed = s.groups.find((g) => g.collapsed && memberKeys(g).includes(id));
      if (closed) s.toggleGroup(closed.id, false);
      if (n.type === 'beamline') s.select([id]);
      s.showPanel('inspector');
      const w = n.measured?.width ?? 210;
      const h = n.measured?.height ?? 90;
      const zoom = Math.max(s.flow?.getZoom() ?? 1, 1);
      void s.flow?.setCenter(n.position.x + w / 2, n.position.y + h / 2, { zoom, duration: 250 });
    },
  };
}
