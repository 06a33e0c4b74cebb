/**
 * Edge routing: an edge leaves its output to the right and enters its input from the
 * left. It is drawn as React Flow's usual curve when that curve crosses no card;
 * otherwise as an orthogonal path with rounded corners that goes around the cards:
 * one vertical jog in a free channel between them, or out to a free lane above or
 * below the cards in its way and back. Pure, so routes are tested without a browser.
 */
import type { Point, Rect } from './place.js';

export interface Box extends Rect {
  id: string;
}
export interface Route {
  kind: 'curve' | 'orthogonal';
  /** SVG path data. */
  path: string;
  /** The corners of an orthogonal route; a curve's two ends and two control points. */
  points: Point[];
  /** Whether the route crosses a card (only when every route tried does). */
  blocked: boolean;
}

/** Clearance kept between an edge and the cards it passes. */
export const ROUTE_MARGIN = 10;
/** How far an edge runs straight out of its handle before it turns, when there is room. */
export const ROUTE_STUB = 20;
/** The shortest straight run out of a handle, for a turn in a narrow channel between two cards. */
const MIN_STUB = 6;
const RADIUS = 8;
/** Each corner costs as much as this many units of length: fewer turns beat slightly shorter paths. */
const BEND_COST = 60;
const MAX_TRIES = 240;

/** React Flow's bezier for a right-hand source and a left-hand target (getBezierPath, curvature 0.25). */
export function curveControls(s: Point, t: Point): [Point, Point] {
  const dx = t.x - s.x;
  const offset = dx >= 0 ? 0.5 * dx : 0.25 * 25 * Math.sqrt(-dx);
  return [
    { x: s.x + offset, y: s.y },
    { x: t.x - offset, y: t.y },
  ];
}

const bez = (a: number, b: number, c: number, d: number, u: number) => (1 - u) ** 3 * a + 3 * (1 - u) ** 2 * u * b + 3 * (1 - u) * u ** 2 * c + u ** 3 * d;

/** Points along the curve, about every 6 units. */
export function sampleCurve(s: Point, c1: Point, c2: Point, t: Point): Point[] {
  const approx = Math.hypot(c1.x - s.x, c1.y - s.y) + Math.hypot(c2.x - c1.x, c2.y - c1.y) + Math.hypot(t.x - c2.x, t.y - c2.y);
  const n = Math.max(16, Math.ceil(approx / 6));
  const out: Point[] = [];
  for (let i = 0; i <= n; i++) out.push({ x: bez(s.x, c1.x, c2.x, t.x, i / n), y: bez(s.y, c1.y, c2.y, t.y, i / n) });
  return out;
}

const inside = (p: Point, b: Rect, m: number) => p.x > b.x - m && p.x < b.x + b.w + m && p.y > b.y - m && p.y < b.y + b.h + m;

/** Whether an axis-aligned segment passes through `b` grown by `m`. */
function segmentHits(a: Point, c: Point, b: Rect, m: number): boolean {
  const x0 = Math.min(a.x, c.x);
  const x1 = Math.max(a.x, c.x);
  const y0 = Math.min(a.y, c.y);
  const y1 = Math.max(a.y, c.y);
  return x0 < b.x + b.w + m && x1 > b.x - m && y0 < b.y + b.h + m && y1 > b.y - m;
}

/**
 * How many of `boxes` a polyline crosses, each grown by `m`; the edge's own two cards
 * are not grown (its ends sit just outside them, on their handles).
 */
export function polylineHits(points: readonly Point[], boxes: readonly Box[], own: ReadonlySet<string>, m = ROUTE_MARGIN): number {
  let hits = 0;
  for (const b of boxes) {
    const grow = own.has(b.id) ? 0 : m;
    for (let i = 0; i + 1 < points.length; i++) {
      if (segmentHits(points[i], points[i + 1], b, grow)) {
        hits++;
        break;
      }
    }
  }
  return hits;
}

/** SVG path through `points` with rounded corners. */
export function roundedPath(points: readonly Point[], r = RADIUS): string {
  const pts = points.filter((p, i) => i === 0 || p.x !== points[i - 1].x || p.y !== points[i - 1].y);
  let d = `M${pts[0].x},${pts[0].y}`;
  for (let i = 1; i < pts.length - 1; i++) {
    const [a, b, c] = [pts[i - 1], pts[i], pts[i + 1]];
    const k = Math.min(r, Math.hypot(b.x - a.x, b.y - a.y) / 2, Math.hypot(c.x - b.x, c.y - b.y) / 2);
    const inX = b.x - Math.sign(b.x - a.x) * k;
    const inY = b.y - Math.sign(b.y - a.y) * k;
    const outX = b.x + Math.sign(c.x - b.x) * k;
    const outY = b.y + Math.sign(c.y - b.y) * k;
    d += ` L${inX},${inY} Q${b.x},${b.y} ${outX},${outY}`;
  }
  const last = pts[pts.length - 1];
  return `${d} L${last.x},${last.y}`;
}

const lengthOf = (pts: readonly Point[]) => pts.reduce((l, p, i) => (i ? l + Math.abs(p.x - pts[i - 1].x) + Math.abs(p.y - pts[i - 1].y) : 0), 0);
const bendsOf = (pts: readonly Point[]) => {
  let n = 0;
  for (let i = 1; i + 1 < pts.length; i++) {
    const h1 = pts[i].y === pts[i - 1].y;
    const h2 = pts[i + 1].y === pts[i].y;
    if (h1 !== h2) n++;
  }
  return n;
};
const uniq = (xs: number[]) => [...new Set(xs.map((x) => Math.round(x)))];
/** The `n` values nearest to `to` (candidates stay few however crowded the canvas is). */
const nearest = (xs: number[], to: number, n: number) => (xs.length <= n ? xs : [...xs].sort((p, q) => Math.abs(p - to) - Math.abs(q - to)).slice(0, n));

/**
 * The route of an edge from `s` (an output handle, on the right of card `source`) to
 * `t` (an input handle, on the left of card `target`) among `boxes` (every card).
 */
export function routeEdge(s: Point, t: Point, boxes: readonly Box[], source: string, target: string, m = ROUTE_MARGIN): Route {
  const own = new Set([source, target]);
  // Forward: the input is right of the output, with room for the two straight runs out of the handles.
  const forward = t.x - s.x >= 2 * MIN_STUB;
  if (forward) {
    const [c1, c2] = curveControls(s, t);
    // Cheap test first: only the cards near the curve, and the curve never reaches into its own cards going forward.
    const x0 = Math.min(s.x, t.x) - m;
    const x1 = Math.max(s.x, t.x) + m;
    const y0 = Math.min(s.y, t.y) - m;
    const y1 = Math.max(s.y, t.y) + m;
    const near = boxes.filter((b) => !own.has(b.id) && b.x < x1 && b.x + b.w > x0 && b.y < y1 && b.y + b.h > y0);
    const samples = near.length ? sampleCurve(s, c1, c2, t) : [];
    if (!near.some((b) => samples.some((p) => inside(p, b, m)))) {
      return { kind: 'curve', path: `M${s.x},${s.y} C${c1.x},${c1.y} ${c2.x},${c2.y} ${t.x},${t.y}`, points: [s, c1, c2, t], blocked: false };
    }
  }
  // Stubs: ROUTE_STUB long, shorter in a narrow gap between two cards.
  const stub = forward ? Math.min(ROUTE_STUB, (t.x - s.x) / 2) : ROUTE_STUB;
  const a = { x: s.x + stub, y: s.y };
  const z = { x: t.x - stub, y: t.y };
  const lo = Math.min(a.x, z.x);
  const hi = Math.max(a.x, z.x);
  // Cards between the two ends (in x) are what a route must get past; a backward edge also gets past its own two.
  const between = boxes.filter((b) => (b.x < hi + m && b.x + b.w > lo - m) || (!forward && own.has(b.id)));
  const candidates: Point[][] = [];
  if (forward) {
    // One vertical jog, in the middle or in a free channel beside a card.
    const mid = (a.x + z.x) / 2;
    const channels = between.flatMap((b) => [b.x - m - 1, b.x + b.w + m + 1]).filter((x) => x >= s.x + MIN_STUB && x <= t.x - MIN_STUB);
    const xs = uniq([mid, a.x, z.x, ...nearest(channels, mid, 8)]);
    for (const x of xs) candidates.push([s, { x, y: s.y }, { x, y: t.y }, t]);
  }
  // Out to a lane above or below the cards in the way, along it, and back.
  const lanes = uniq([s.y, t.y, ...nearest(between.flatMap((b) => [b.y - m - 1, b.y + b.h + m + 1]), (s.y + t.y) / 2, 24)]);
  // Vertical runs in the free channels beside the cards, as well as at the stubs.
  const inRange = (x: number) => x >= s.x + MIN_STUB && x <= t.x - MIN_STUB;
  const x1s = uniq([a.x, ...(forward ? nearest(between.map((b) => b.x - m - 1).filter(inRange), a.x, 3) : [])]);
  const x2s = uniq([z.x, ...(forward ? nearest(between.map((b) => b.x + b.w + m + 1).filter(inRange), z.x, 3) : [])]);
  for (const y of lanes) {
    for (const x1 of x1s) {
      for (const x2 of x2s) {
        if (!forward || x1 <= x2) candidates.push([s, { x: x1, y: s.y }, { x: x1, y }, { x: x2, y }, { x: x2, y: t.y }, t]);
      }
    }
  }
  const scored = candidates
    .map((pts) => simplify(pts))
    .map((pts) => ({ pts, cost: lengthOf(pts) + BEND_COST * bendsOf(pts) }))
    .sort((p, q) => p.cost - q.cost);
  let best: { pts: Point[]; hits: number } | undefined;
  for (const c of scored.slice(0, MAX_TRIES)) {
    const hits = polylineHits(c.pts, between, own, m);
    if (hits === 0) return { kind: 'orthogonal', path: roundedPath(c.pts), points: c.pts, blocked: false };
    if (!best || hits < best.hits) best = { pts: c.pts, hits };
  }
  const pts = best?.pts ?? [s, a, z, t];
  return { kind: 'orthogonal', path: roundedPath(pts), points: pts, blocked: true };
}

/** Drops repeated points and points in the middle of a straight run. */
function simplify(pts: readonly Point[]): Point[] {
  const out: Point[] = [];
  for (const p of pts) {
    const prev = out[out.length - 1];
    if (prev && prev.x === p.x && prev.y === p.y) continue;
    const before = out[out.length - 2];
    if (prev && before && ((before.x === prev.x && prev.x === p.x) || (before.y === prev.y && prev.y === p.y))) out[out.length - 1] = p;
    else out.push(p);
  }
  return out;
}
