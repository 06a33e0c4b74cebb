/**
 * Zoom levels of the canvas. Cards are drawn in full (ports, badge, live rows) only
 * where their small text is readable; zoomed further out they show their title and
 * status in large type instead, and fitting the view never zooms out past the point
 * where those titles stay readable (the minimap and scrolling show the rest).
 */

/** Font size (px, at zoom 1) of a card's title in the full card. */
export const DETAIL_TITLE_PX = 15;
/** Font size (px, at zoom 1) of a card's title in the simplified card. */
export const SIMPLE_TITLE_PX = 28;
/** The smallest on-screen title size the canvas aims for when it chooses a zoom. */
export const READABLE_PX = 11;
/** Below this zoom cards are simplified: the full card's title would be smaller than READABLE_PX. */
export const DETAIL_MIN_ZOOM = Math.ceil((READABLE_PX / DETAIL_TITLE_PX) * 100) / 100;
/** Fit view stops here, the zoom at which a simplified title is still READABLE_PX. */
export const FIT_MIN_ZOOM = Math.ceil((READABLE_PX / SIMPLE_TITLE_PX) * 100) / 100;
/** Fit view never magnifies a small graph past 1:1. */
export const FIT_MAX_ZOOM = 1;
/** Scrolling may go further out than fit view, to see the shape of a large graph. */
export const MIN_ZOOM = 0.05;
export const MAX_ZOOM = 2;

export type Detail = 'full' | 'simple';

/** How cards are drawn at this zoom. */
export function detailAt(zoom: number): Detail {
  return zoom >= DETAIL_MIN_ZOOM ? 'full' : 'simple';
}

/** On-screen pixels of text `fontPx` tall at this zoom. */
export const screenPx = (fontPx: number, zoom: number) => fontPx * zoom;

/** The size of a card title on screen at this zoom, whichever way the card is drawn. */
export function titlePxAt(zoom: number): number {
  return screenPx(detailAt(zoom) === 'full' ? DETAIL_TITLE_PX : SIMPLE_TITLE_PX, zoom);
}

/** Options for every fitView (on open, after auto-layout, Fit view, the controls' button). */
export const FIT_VIEW = { padding: 0.1, minZoom: FIT_MIN_ZOOM, maxZoom: FIT_MAX_ZOOM } as const;

/**
 * The zoom fitView picks for a graph `w` × `h` (flow units) in a `viewW` × `viewH` canvas:
 * what React Flow computes (getViewportForBounds), clamped by FIT_VIEW.
 */
export function fitZoom(w: number, h: number, viewW: number, viewH: number, opts: { padding: number; minZoom: number; maxZoom: number } = FIT_VIEW): number {
  const z = Math.min(viewW / (w * (1 + opts.padding)), viewH / (h * (1 + opts.padding)));
  return Math.min(opts.maxZoom, Math.max(opts.minZoom, z));
}

/** What a simplified card says under its title: the one thing most worth knowing, and its tone. */
export interface CardStatus {
  text: string;
  tone: 'muted' | 'ok' | 'warn' | 'bad';
}

/**
 * The status line of a simplified card, most urgent first: failing requests, compiler
 * errors, a retriever's missing index, a failed or running test run, replicas not all running, pressure, a finished
 * run, replicas running; with nothing to report, the node's kind.
 */
export function cardStatus(s: {
  kind: string;
  errors: number;
  run?: 'running' | 'done' | 'error';
  replicas?: { running: number; total: number; waiting: number };
  failing?: boolean;
  pressure?: boolean;
  /** A retriever's index: missing, or being built. */
  index?: 'missing' | 'building';
}): CardStatus {
  if (s.failing) return { text: 'failing', tone: 'bad' };
  if (s.errors) return { text: `⚠ ${s.errors} problem${s.errors > 1 ? 's' : ''}`, tone: 'bad' };
  if (s.index === 'missing') return { text: '⚠ no index', tone: 'bad' };
  if (s.index === 'building') return { text: 'building index…', tone: 'warn' };
  if (s.run === 'error') return { text: 'run failed', tone: 'bad' };
  if (s.run === 'running') return { text: 'running…', tone: 'warn' };
  const r = s.replicas;
  if (r && r.total > 0 && r.running < r.total) return { text: `${r.running}/${r.total} running${r.waiting ? ` · ${r.waiting} waiting` : ''}`, tone: 'warn' };
  if (s.pressure) return { text: 'pressure', tone: 'warn' };
  if (s.run === 'done') return { text: 'done', tone: 'ok' };
  if (r && r.total > 0) return { text: `${r.running}/${r.total} running`, tone: 'ok' };
  return { text: s.kind, tone: 'muted' };
}
