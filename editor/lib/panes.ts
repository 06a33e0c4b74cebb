/**
 * The two side panels (palette on the left, inspector and friends on the right):
 * their widths and whether they are open, kept per browser. Pure so the limits are
 * tested without a browser.
 */

export interface Panes {
  palette: number;
  side: number;
  paletteOpen: boolean;
  sideOpen: boolean;
}

/** Width of a collapsed panel: a strip with the button that opens it again. */
export const COLLAPSED_PX = 32;
/** The canvas keeps at least this much when the panels are dragged wider. */
export const MIN_CANVAS_PX = 360;
export const PANE_LIMITS = { palette: { min: 160, max: 420 }, side: { min: 260, max: 640 } } as const;
export const PANES_KEY = 'beamline.panes';

/** Widths that suit the window: narrower panels on a small screen. */
export function defaultPanes(windowWidth: number): Panes {
  return windowWidth < 1200 ? { palette: 170, side: 320, paletteOpen: true, sideOpen: true } : { palette: 220, side: 360, paletteOpen: true, sideOpen: true };
}

const clamp = (x: number, lo: number, hi: number) => Math.round(Math.min(hi, Math.max(lo, x)));

/**
 * Widths within their limits, the side panel giving way first, then the palette,
 * so the canvas keeps MIN_CANVAS_PX of a `windowWidth` window.
 */
export function clampPanes(p: Panes, windowWidth: number): Panes {
  let palette = clamp(p.palette, PANE_LIMITS.palette.min, PANE_LIMITS.palette.max);
  let side = clamp(p.side, PANE_LIMITS.side.min, PANE_LIMITS.side.max);
  const room = windowWidth - MIN_CANVAS_PX;
  const used = () => (p.paletteOpen ? palette : COLLAPSED_PX) + (p.sideOpen ? side : COLLAPSED_PX);
  if (p.sideOpen && used() > room) side = Math.max(PANE_LIMITS.side.min, side - (used() - room));
  if (p.paletteOpen && used() > room) palette = Math.max(PANE_LIMITS.palette.min, palette - (used() - room));
  return { ...p, palette, side };
}

/** CSS grid columns for palette, canvas and side panel. */
export function paneColumns(p: Panes): string {
  return `${p.paletteOpen ? p.palette : COLLAPSED_PX}px minmax(0, 1fr) ${p.sideOpen ? p.side : COLLAPSED_PX}px`;
}

/** The width the canvas gets in a `windowWidth` window. */
export const canvasWidth = (p: Panes, windowWidth: number) => windowWidth - (p.paletteOpen ? p.palette : COLLAPSED_PX) - (p.sideOpen ? p.side : COLLAPSED_PX);

/** Stored panes (JSON), or undefined when missing or not what we wrote. */
export function parsePanes(text: string | null): Panes | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as Partial<Panes>;
    if (typeof v.palette !== 'number' || typeof v.side !== 'number' || typeof v.paletteOpen !== 'boolean' || typeof v.sideOpen !== 'boolean') return undefined;
    if (!Number.isFinite(v.palette) || !Number.isFinite(v.side)) return undefined;
    return { palette: v.palette, side: v.side, paletteOpen: v.paletteOpen, sideOpen: v.sideOpen };
  } catch {
    return undefined;
  }
}
