/**
 * Where a new node goes: as near as possible to where it was asked for, without
 * covering a node already on the canvas. Used for nodes added from the palette or
 * quick add, and for pasted and duplicated fragments (placed as one block).
 */

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}
export interface Point {
  x: number;
  y: number;
}

/** Space kept between a placed node and its neighbours (flow units). */
export const PLACE_GAP = 24;
/** Card width (flow units); styles.css draws `.bl-node` this wide. */
export const NODE_WIDTH = 210;
/** Height of a card before it is measured: header, title, one port row, padding. */
const BASE_HEIGHT = 66;
const PORT_ROW = 18;
const BADGE_ROW = 22;
/** The simplified card needs room for two lines of its large title and a status line. */
export const NODE_MIN_HEIGHT = 100;

/** Whether two rectangles overlap once `gap` is kept around them. */
export function overlaps(a: Rect, b: Rect, gap = 0): boolean {
  return a.x < b.x + b.w + gap && b.x < a.x + a.w + gap && a.y < b.y + b.h + gap && b.y < a.y + a.h + gap;
}

/** A card's size before React Flow has measured it, from its port rows and whether it shows a deployment badge. */
export function estimateSize(inputs: number, outputs: number, badge: boolean): { w: number; h: number } {
  return { w: NODE_WIDTH, h: Math.max(NODE_MIN_HEIGHT, BASE_HEIGHT + Math.max(1, inputs, outputs) * PORT_ROW + (badge ? BADGE_ROW : 0)) };
}

/** The smallest rectangle around all of `rects`. */
export function boundsOf(rects: readonly Rect[]): Rect {
  const x = Math.min(...rects.map((r) => r.x));
  const y = Math.min(...rects.map((r) => r.y));
  return { x, y, w: Math.max(...rects.map((r) => r.x + r.w)) - x, h: Math.max(...rects.map((r) => r.y + r.h)) - y };
}

/**
 * The top-left corner nearest to `want` (a rectangle of the size to place) where it
 * overlaps none of `taken` with `gap` around each. Candidates are `want` itself and
 * the positions flush beside, above and below each taken rectangle (in line with
 * `want` or with that rectangle), plus one right of everything, which is always free;
 * the nearest free one wins, ties going to the first (right, then below).
 */
export function freeSpot(want: Rect, taken: readonly Rect[], gap = PLACE_GAP): Point {
  const blocked = (x: number, y: number) => {
    const r = { x, y, w: want.w, h: want.h };
    for (const t of taken) if (overlaps(r, t, gap)) return true;
    return false;
  };
  if (!blocked(want.x, want.y)) return { x: want.x, y: want.y };
  const candidates: Point[] = [];
  for (const t of taken) {
    const right = t.x + t.w + gap;
    const left = t.x - want.w - gap;
    const below = t.y + t.h + gap;
    const above = t.y - want.h - gap;
    candidates.push(
      { x: right, y: want.y },
      { x: want.x, y: below },
      { x: left, y: want.y },
      { x: want.x, y: above },
      { x: right, y: t.y },
      { x: t.x, y: below },
      { x: left, y: t.y },
      { x: t.x, y: above },
    );
  }
  candidates.push({ x: Math.max(...taken.map((t) => t.x + t.w)) + gap, y: want.y });
  let best: Point | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = Math.hypot(c.x - want.x, c.y - want.y);
    if (d < bestD && !blocked(c.x, c.y)) {
      best = c;
      bestD = d;
    }
  }
  return { x: Math.round(best!.x), y: Math.round(best!.y) };
}

/** How far to move a block of rectangles (a pasted fragment) so none of them covers `taken`: the nearest free spot for their bounds. */
export function freeOffset(block: readonly Rect[], taken: readonly Rect[], gap = PLACE_GAP): Point {
  if (block.length === 0) return { x: 0, y: 0 };
  const b = boundsOf(block);
  const p = freeSpot(b, taken, gap);
  return { x: p.x - b.x, y: p.y - b.y };
}
