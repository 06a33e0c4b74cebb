/**
 * Notes and groups: sticky notes (Markdown) and titled frames around nodes. Part of the
 * document (saved in the file's `notes` and `groups`, covered by undo), never compiled.
 * Notes are React Flow nodes of type `note` with ids `note:<id>`; groups are stored as the
 * file has them and drawn by the canvas around their members (lib/groups.ts).
 */
import type { Node, NodeChange } from '@xyflow/react';
import { applyNodeChanges } from '@xyflow/react';
import type { GraphGroup, GraphNote } from '../../shared/graph.js';
import { afterDrop, type Box, frameOf, GROUP, type Group, makeGroup, memberKeys, NOTE, pruneGroups, withoutMembers } from '../lib/groups.js';
import { uniqueId } from '../lib/ids.js';
import type { Get, SetState } from './types.js';

export type NoteNode = Node<{ text: string }, 'note'>;
export type { Group };

const NODE_SIZE = { width: 210, height: 90 };
const NOTE_SIZE = { width: 220, height: 100 };

export function notesFromGraph(notes: readonly GraphNote[] | undefined): NoteNode[] {
  return (notes ?? []).map((n) => ({
    id: NOTE + n.id,
    type: 'note',
    position: { x: n.position.x, y: n.position.y },
    data: { text: n.text },
    ...(n.width !== undefined ? { width: n.width } : {}),
    ...(n.height !== undefined ? { height: n.height } : {}),
  }));
}

export function notesToGraph(notes: readonly NoteNode[]): GraphNote[] {
  return notes.map((n) => ({
    id: n.id.slice(NOTE.length),
    text: n.data.text,
    position: { x: n.position.x, y: n.position.y },
    ...(n.width !== undefined ? { width: Math.round(n.width) } : {}),
    ...(n.height !== undefined ? { height: Math.round(n.height) } : {}),
  }));
}

/** Every member's box on the canvas (measured size, or a default before React Flow measured it). */
export function memberBoxes(nodes: readonly Node[], notes: readonly NoteNode[]): Map<string, Box> {
  const boxes = new Map<string, Box>();
  const add = (n: Node, size: { width: number; height: number }) =>
    boxes.set(n.id, { x: n.position.x, y: n.position.y, width: n.measured?.width ?? n.width ?? size.width, height: n.measured?.height ?? n.height ?? size.height });
  for (const n of nodes) add(n, NODE_SIZE);
  for (const n of notes) add(n, NOTE_SIZE);
  return boxes;
}

export interface AnnotationSlice {
  notes: NoteNode[];
  groups: Group[];
  /** Groups selected on the canvas (UI state, not part of the document). */
  selectedGroups: string[];
  /** The note whose text is being edited, or null. */
  editingNote: string | null;

  addNote(at: { x: number; y: number }, text?: string): string;
  setNoteText(id: string, text: string): void;
  editNote(id: string | null): void;
  /** Groups the selected nodes and notes; returns the new group's id. */
  groupSelection(title?: string): string | undefined;
  /** Removes the selected groups, or the groups of the selected nodes; their members stay. */
  ungroup(ids?: string[]): void;
  /** Takes the selected nodes and notes out of their groups. */
  removeFromGroups(): void;
  setGroupTitle(id: string, title: string): void;
  toggleGroup(id: string, collapsed?: boolean): void;
  /** React Flow changes to notes and group frames (the canvas sends every change; the doc slice routes these here). */
  annotationChanges(changes: NodeChange[]): void;
  /** After a drag: nodes and notes dropped into a frame join it, ones dragged out leave. */
  regroupAfterDrop(dropped: string[]): void;
}

const selectedKeys = (s: ReturnType<Get>) => [...s.nodes.filter((n) => n.selected).map((n) => n.id), ...s.notes.filter((n) => n.selected).map((n) => n.id)];

export function createAnnotationSlice(set: SetState, get: Get): AnnotationSlice {
  return {
    notes: [],
    groups: [],
    selectedGroups: [],
    editingNote: null,

    addNote(at, text = '') {
      const id = uniqueId('note', new Set(get().notes.map((n) => n.id.slice(NOTE.length))));
      const note: NoteNode = { id: NOTE + id, type: 'note', position: { x: Math.round(at.x), y: Math.round(at.y) }, data: { text }, selected: true };
      set({
        notes: [...get().notes.map((n) => (n.selected ? { ...n, selected: false } : n)), note],
        nodes: get().nodes.map((n) => (n.selected ? { ...n, selected: false } : n)),
        editingNote: note.id,
      });
      return note.id;
    },
    setNoteText(id, text) {
      if (get().notes.find((n) => n.id === id)?.data.text === text) return;
      set({ notes: get().notes.map((n) => (n.id === id ? { ...n, data: { text } } : n)) });
    },
    editNote(id) {
      set({ editingNote: id });
    },
    groupSelection(title) {
      const keys = selectedKeys(get());
      if (!keys.length) return undefined;
      const id = uniqueId('group', new Set(get().groups.map((g) => g.id)));
      set({ groups: makeGroup(get().groups, keys, id, title) });
      return id;
    },
    ungroup(ids) {
      const s = get();
      const keys = new Set(selectedKeys(s));
      const gone = new Set(ids ?? (s.selectedGroups.length ? s.selectedGroups : s.groups.filter((g) => memberKeys(g).some((k) => keys.has(k))).map((g) => g.id)));
      if (!gone.size) return;
      set({ groups: s.groups.filter((g) => !gone.has(g.id)), selectedGroups: s.selectedGroups.filter((g) => !gone.has(g)) });
    },
    removeFromGroups() {
      const keys = new Set(selectedKeys(get()));
      const groups = withoutMembers(get().groups, keys);
      if (groups.some((g, i) => g !== get().groups[i]) || groups.length !== get().groups.length) set({ groups });
    },
    setGroupTitle(id, title) {
      set({ groups: get().groups.map((g) => (g.id === id && g.title !== title ? { ...g, title } : g)) });
    },
    toggleGroup(id, collapsed) {
      set({ groups: get().groups.map((g) => (g.id === id ? { ...g, collapsed: collapsed ?? !g.collapsed } : g)).map((g) => (g.collapsed === false ? withoutFlag(g) : g)) });
    },
    annotationChanges(changes) {
      const noteChanges = changes.filter((c) => 'id' in c && c.id.startsWith(NOTE));
      const groupChanges = changes.filter((c) => 'id' in c && c.id.startsWith(GROUP));
      const patch: Partial<ReturnType<Get>> = {};
      if (noteChanges.length) {
        // Removals go through deleteSelection (one undo step with everything else deleted).
        const kept = noteChanges.filter((c) => c.type !== 'remove');
        if (kept.length) patch.notes = applyNodeChanges(kept, get().notes) as NoteNode[];
      }
      let selected = get().selectedGroups;
      for (const c of groupChanges) {
        const id = (c as { id: string }).id.slice(GROUP.length);
        if (c.type === 'select') selected = c.selected ? [...new Set([...selected, id])] : selected.filter((g) => g !== id);
        if (c.type === 'position' && c.position) {
          // A frame is where its members are: dragging it moves them.
          const s = get();
          const g = s.groups.find((x) => x.id === id);
          const notes = patch.notes ?? s.notes;
          const frame = g && frameOf(g, memberBoxes(s.nodes, notes));
          if (!g || !frame) continue;
          const dx = c.position.x - frame.x;
          const dy = c.position.y - frame.y;
          if (!dx && !dy) continue;
          const members = new Set(memberKeys(g));
          const move = <N extends Node>(n: N): N => (members.has(n.id) ? { ...n, position: { x: n.position.x + dx, y: n.position.y + dy } } : n);
          patch.nodes = (patch.nodes ?? s.nodes).map(move);
          patch.notes = notes.map(move);
        }
      }
      if (selected !== get().selectedGroups) patch.selectedGroups = selected;
      if (Object.keys(patch).length) set(patch);
    },
    regroupAfterDrop(dropped) {
      const s = get();
      const groups = afterDrop(s.groups, dropped, memberBoxes(s.nodes, s.notes));
      if (groups !== s.groups) set({ groups });
    },
  };
}

function withoutFlag(g: Group): Group {
  const { collapsed: _, ...rest } = g;
  return rest;
}

/** The file's groups, without members the graph does not have. */
export function groupsFromGraph(groups: readonly GraphGroup[] | undefined, nodes: readonly { id: string }[], notes: readonly NoteNode[]): Group[] {
  const keys = new Set([...nodes.map((n) => n.id), ...notes.map((n) => n.id)]);
  return pruneGroups(groups ?? [], (k) => keys.has(k));
}
