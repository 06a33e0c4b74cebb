/**
 * Groups: titled frames drawn around their member nodes (and notes). The frame follows its
 * members; dragging it moves them; a node dropped inside a frame joins it, one dragged out of
 * it leaves; a collapsed group is drawn as one box and its members are hidden.
 * Members are keyed as the canvas names them: a node by its id, a note as `note:<id>`.
 */
import type { GraphGroup } from '../../shared/graph.js';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
export type Group = GraphGroup;

/** Canvas ids of notes and groups; `:` cannot occur in a node id, so they never clash. */
export const NOTE = 'note:';
export const GROUP = 'group:';
/** Space between the members and the frame, and the frame's title bar. */
export const FRAME_PAD = 20;
export const FRAME_TITLE = 30;
export const COLLAPSED_SIZE = { width: 220, height: 64 };

export const memberKeys = (g: Group): string[] => [...g.nodes, ...(g.notes ?? []).map((n) => NOTE + n)];

function union(boxes: Box[]): Box | undefined {
  if (!boxes.length) return undefined;
  const x = Math.min(...boxes.map((b) => b.x));
  const y = Math.min(...boxes.map((b) => b.y));
  const right = Math.max(...boxes.map((b) => b.x + b.width));
  const bottom = Math.max(...boxes.map((b) => b.y + b.height));
  return { x, y, width: right - x, height: bottom - y };
}

/**
 * The frame around a group's members, or undefined when none of them is on the canvas.
 * Members in `moving` (being dragged) are left out while others remain, so the frame holds
 * still while one of its nodes is dragged out of it.
 */
export function frameOf(g: Group, boxes: ReadonlyMap<string, Box>, moving?: ReadonlySet<string>): Box | undefined {
  const all = memberKeys(g)
    .map((k) => [k, boxes.get(k)] as const)
    .filter((e): e is readonly [string, Box] => !!e[1]);
  const still = moving?.size ? all.filter(([k]) => !moving.has(k)) : all;
  const b = union((still.length ? still : all).map(([, box]) => box));
  return b && { x: b.x - FRAME_PAD, y: b.y - FRAME_PAD - FRAME_TITLE, width: b.width + 2 * FRAME_PAD, height: b.height + 2 * FRAME_PAD + FRAME_TITLE };
}

/** The box a group is drawn as: its frame, or the collapsed box at the frame's corner. */
export function drawnBox(g: Group, frame: Box): Box {
  return g.collapsed ? { x: frame.x, y: frame.y, ...COLLAPSED_SIZE } : frame;
}

const inside = (b: Box, p: { x: number; y: number }) => p.x >= b.x && p.x <= b.x + b.width && p.y >= b.y && p.y <= b.y + b.height;
const centre = (b: Box) => ({ x: b.x + b.width / 2, y: b.y + b.height / 2 });

/** Takes keys out of every group; groups left with no member go. */
export function withoutMembers(groups: readonly Group[], keys: ReadonlySet<string>): Group[] {
  const out: Group[] = [];
  for (const g of groups) {
    const nodes = g.nodes.filter((k) => !keys.has(k));
    const notes = (g.notes ?? []).filter((k) => !keys.has(NOTE + k));
    if (!nodes.length && !notes.length) continue;
    out.push(nodes.length === g.nodes.length && notes.length === (g.notes ?? []).length ? g : { ...g, nodes, ...(g.notes ? { notes } : {}) });
  }
  return out;
}

/** Keeps only members that exist (after a delete, or in a file that names missing ones). */
export function pruneGroups(groups: readonly Group[], exists: (key: string) => boolean): Group[] {
  const gone = new Set(groups.flatMap(memberKeys).filter((k) => !exists(k)));
  return gone.size ? withoutMembers(groups, gone) : (groups as Group[]);
}

/** A new group of `keys` (taken out of the groups they were in). */
export function makeGroup(groups: readonly Group[], keys: readonly string[], id: string, title = 'Group'): Group[] {
  const nodes = keys.filter((k) => !k.startsWith(NOTE) && !k.startsWith(GROUP));
  const notes = keys.filter((k) => k.startsWith(NOTE)).map((k) => k.slice(NOTE.length));
  if (!nodes.length && !notes.length) return groups as Group[];
  return [...withoutMembers(groups, new Set(keys)), { id, title, nodes, ...(notes.length ? { notes } : {}) }];
}

function addMember(g: Group, key: string): Group {
  return key.startsWith(NOTE) ? { ...g, notes: [...(g.notes ?? []), key.slice(NOTE.length)] } : { ...g, nodes: [...g.nodes, key] };
}

/**
 * Membership after a drag ends: a dropped member whose centre is outside the frame of the
 * members that stayed leaves its group; a dropped node or note whose centre is inside another
 * (expanded) group's frame joins it. Returns `groups` itself when nothing changes.
 */
export function afterDrop(groups: readonly Group[], dropped: readonly string[], boxes: ReadonlyMap<string, Box>): Group[] {
  const moving = new Set(dropped);
  const frames = new Map(groups.map((g) => [g.id, frameOf(g, boxes, moving)]));
  let out = groups as Group[];
  for (const key of dropped) {
    const box = boxes.get(key);
    if (!box || key.startsWith(GROUP)) continue;
    const c = centre(box);
    const holder = out.find((g) => memberKeys(g).includes(key));
    if (holder) {
      // Dragged together with every other member: the whole group moved, nobody leaves.
      const others = memberKeys(holder).filter((k) => !moving.has(k));
      const f = frames.get(holder.id);
      if (!others.length || !f || inside(f, c)) continue;
      out = withoutMembers(out, new Set([key]));
    }
    const target = [...out].reverse().find((g) => !g.collapsed && g.id !== holder?.id && memberKeys(g).some((k) => !moving.has(k)) && frames.get(g.id) && inside(frames.get(g.id)!, c));
    if (target) out = out.map((g) => (g === target ? addMember(g, key) : g));
  }
  return out;
}

/** Keys hidden because their group is collapsed. */
export function hiddenMembers(groups: readonly Group[]): Set<string> {
  return new Set(groups.filter((g) => g.collapsed).flatMap(memberKeys));
}

interface EdgeEnds {
  id: string;
  source: string;
  target: string;
  sourceHandle?: string | null;
  targetHandle?: string | null;
  hidden?: boolean;
}

/**
 * Edges as drawn: an edge to a member of a collapsed group is drawn to the group's box, and
 * an edge inside one collapsed group is hidden. The document's edges are not changed.
 */
export function drawnEdges<E extends EdgeEnds>(edges: readonly E[], groups: readonly Group[]): E[] {
  const box = new Map<string, string>();
  for (const g of groups) if (g.collapsed) for (const k of g.nodes) box.set(k, GROUP + g.id);
  if (!box.size) return edges as E[];
  return edges.map((e) => {
    const s = box.get(e.source);
    const t = box.get(e.target);
    if (!s && !t) return e;
    if (s && s === t) return { ...e, hidden: true };
    return { ...e, ...(s ? { source: s, sourceHandle: null } : {}), ...(t ? { target: t, targetHandle: null } : {}) };
  });
}
