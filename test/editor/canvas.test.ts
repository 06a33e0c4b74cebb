/** Canvas logic without a browser: zoom levels, panel widths, themes and contrast, placement, edge routing, auto-layout. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AA_TEXT, contrastRatio, cssVariables, hslToRgb, parseHex, REPLICA_SL, replicaColour, TEXT_PAIRS } from '../../editor/lib/contrast.js';
import { BUILTIN_KIND_INFO } from '../../editor/lib/kinds.js';
import { autoLayout } from '../../editor/lib/layout.js';
import { canvasWidth, clampPanes, COLLAPSED_PX, defaultPanes, MIN_CANVAS_PX, PANE_LIMITS, paneColumns, parsePanes } from '../../editor/lib/panes.js';
import { boundsOf, estimateSize, freeOffset, freeSpot, overlaps, PLACE_GAP, type Rect } from '../../editor/lib/place.js';
import { type Box, polylineHits, routeEdge, sampleCurve } from '../../editor/lib/route.js';
import { parseThemeChoice, resolveTheme, toggleTheme } from '../../editor/lib/theme.js';
import { DETAIL_MIN_ZOOM, detailAt, FIT_MIN_ZOOM, FIT_VIEW, fitZoom, READABLE_PX, titlePxAt } from '../../editor/lib/zoom.js';
import type { Graph } from '../../shared/graph.js';
import { ROOT } from './browser.js';

const kindMap = Object.fromEntries(BUILTIN_KIND_INFO.map((k) => [k.kind, k]));
const example = (name: string): Graph => JSON.parse(readFileSync(join(ROOT, 'examples', name, 'graph.json'), 'utf8'));

describe('zoom levels', () => {
  it('keeps every title readable from the smallest fit-view zoom up', () => {
    for (let z = FIT_MIN_ZOOM; z <= 2; z += 0.01) expect(titlePxAt(z)).toBeGreaterThanOrEqual(READABLE_PX);
    expect(detailAt(DETAIL_MIN_ZOOM)).toBe('full');
    expect(detailAt(DETAIL_MIN_ZOOM - 0.01)).toBe('simple');
    expect(detailAt(0.2)).toBe('simple');
  });

  it('clamps fit view: a small graph is not blown up past 1:1, a huge one is not shrunk past readable', () => {
    expect(fitZoom(400, 200, 1000, 800)).toBe(1);
    expect(fitZoom(20_000, 5000, 900, 800)).toBe(FIT_MIN_ZOOM);
    const z = fitZoom(1410, 300, 880, 860);
    expect(z).toBeCloseTo(880 / (1410 * (1 + FIT_VIEW.padding)), 6);
    expect(titlePxAt(z)).toBeGreaterThanOrEqual(READABLE_PX);
  });
});

describe('side panels', () => {
  it('keeps widths within limits and leaves the canvas room, the side panel giving way first', () => {
    const p = clampPanes({ palette: 9999, side: 9999, paletteOpen: true, sideOpen: true }, 1440);
    expect(p.palette).toBeLessThanOrEqual(PANE_LIMITS.palette.max);
    expect(canvasWidth(p, 1440)).toBeGreaterThanOrEqual(MIN_CANVAS_PX);
    expect(p.palette).toBe(PANE_LIMITS.palette.max);
    const small = clampPanes({ palette: 10, side: 10, paletteOpen: true, sideOpen: true }, 1440);
    expect([small.palette, small.side]).toEqual([PANE_LIMITS.palette.min, PANE_LIMITS.side.min]);
  });

  it('gives a 1024 px window narrower panels, and the canvas the room of a collapsed panel', () => {
    const d = defaultPanes(1024);
    expect(canvasWidth(d, 1024)).toBeGreaterThanOrEqual(500);
    const closed = { ...d, paletteOpen: false, sideOpen: false };
    expect(canvasWidth(closed, 1024)).toBe(1024 - 2 * COLLAPSED_PX);
    expect(paneColumns(closed)).toBe(`${COLLAPSED_PX}px minmax(0, 1fr) ${COLLAPSED_PX}px`);
    expect(paneColumns(d)).toBe(`${d.palette}px minmax(0, 1fr) ${d.side}px`);
  });

  it('reads back only what it stored', () => {
    expect(parsePanes(JSON.stringify({ palette: 200, side: 300, paletteOpen: false, sideOpen: true }))).toEqual({ palette: 200, side: 300, paletteOpen: false, sideOpen: true });
    for (const bad of [null, '', 'nope', '{"palette":"wide"}', '{"palette":1,"side":2}', '[]']) expect(parsePanes(bad)).toBeUndefined();
  });
});

describe('themes', () => {
  it('follows the system until a choice is made, and the toggle gives the other theme', () => {
    expect(parseThemeChoice(null)).toBe('system');
    expect(parseThemeChoice('purple')).toBe('system');
    expect(parseThemeChoice('dark')).toBe('dark');
    expect(resolveTheme('system', true)).toBe('dark');
    expect(resolveTheme('system', false)).toBe('light');
    expect(resolveTheme('light', true)).toBe('light');
    expect(toggleTheme('system', true)).toBe('light');
    expect(toggleTheme('system', false)).toBe('dark');
    expect(toggleTheme('dark', false)).toBe('light');
  });

  it('computes WCAG contrast ratios', () => {
    expect(contrastRatio('#000', '#fff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#fff', '#fff')).toBe(1);
    expect(contrastRatio('#767676', '#ffffff')).toBeCloseTo(4.54, 2);
    expect(hslToRgb(0, 100, 50)).toEqual([255, 0, 0]);
    expect(hslToRgb(240, 100, 50)).toEqual([0, 0, 255]);
    expect(() => parseHex('red')).toThrow(/not a hex colour/);
  });

  const css = readFileSync(join(ROOT, 'editor/theme.css'), 'utf8');
  for (const [theme, selector] of [
    ['light', ':root'],
    ['dark', ':root[data-theme="dark"]'],
  ] as const) {
    it(`meets WCAG AA (4.5:1) for every text colour on its background in the ${theme} theme`, () => {
      const vars = cssVariables(css, selector);
      const failing: string[] = [];
      for (const [fg, bg] of TEXT_PAIRS) {
        expect(vars[fg], `${fg} in ${selector}`).toMatch(/^#[0-9a-f]{3,6}$/i);
        expect(vars[bg], `${bg} in ${selector}`).toMatch(/^#[0-9a-f]{3,6}$/i);
        const r = contrastRatio(vars[fg], vars[bg]);
        if (r < AA_TEXT) failing.push(`${fg} ${vars[fg]} on ${bg} ${vars[bg]}: ${r.toFixed(2)}`);
      }
      expect(failing).toEqual([]);
      // Every replica bar in the placement preview, whatever its hue, under its dark label.
      for (let h = 0; h < 360; h++) expect(contrastRatio(parseHex(vars['--span-fg']), hslToRgb(h, REPLICA_SL.s, REPLICA_SL.l))).toBeGreaterThanOrEqual(AA_TEXT);
    });
  }

  it('gives a node the same replica colour everywhere', () => {
    expect(replicaColour('embed')).toBe(replicaColour('embed'));
    expect(replicaColour('embed')).toMatch(/^hsl\(\d+ 70% 78%\)$/);
  });
});

describe('placement without overlap', () => {
  const card = (x: number, y: number): Rect => ({ x, y, w: 210, h: 100 });
  it('keeps the wanted spot when it is free and moves to the nearest free one when not', () => {
    expect(freeSpot(card(0, 0), [card(500, 0)])).toEqual({ x: 0, y: 0 });
    const taken = [card(0, 0)];
    const p = freeSpot(card(20, 10), taken);
    expect(overlaps({ ...p, w: 210, h: 100 }, taken[0], PLACE_GAP - 1)).toBe(false);
    // Nearest: straight below (100 + gap away), not to the side (210 + gap).
    expect(p).toEqual({ x: 20, y: 100 + PLACE_GAP });
  });

  it('finds room in a crowded canvas and never lands on a card', () => {
    const taken: Rect[] = [];
    for (let i = 0; i < 6; i++) for (let j = 0; j < 4; j++) taken.push(card(i * 240, j * 130));
    for (let k = 0; k < 40; k++) {
      const want = card((k * 97) % 1400, (k * 53) % 500);
      const p = freeSpot(want, taken);
      const r = { ...p, w: 210, h: 100 };
      expect(taken.some((t) => overlaps(r, t))).toBe(false);
      taken.push(r);
    }
  });

  it('moves a pasted block as one, clear of everything', () => {
    const taken = [card(0, 0), card(240, 0)];
    const block = [card(40, 40), card(280, 40)];
    const d = freeOffset(block, taken);
    const moved = block.map((b) => ({ ...b, x: b.x + d.x, y: b.y + d.y }));
    for (const m of moved) for (const t of taken) expect(overlaps(m, t)).toBe(false);
    // Relative positions kept.
    expect(moved[1].x - moved[0].x).toBe(240);
    expect(boundsOf(moved).y).toBe(100 + PLACE_GAP);
  });

  it('estimates a card before it is measured from its ports and badge', () => {
    expect(estimateSize(1, 1, false).h).toBeGreaterThanOrEqual(100);
    expect(estimateSize(5, 1, true).h).toBeGreaterThan(estimateSize(1, 1, true).h);
  });
});

/** Cards of a graph laid out at their saved positions, with handles where the card draws them (one row per port). */
function geometry(g: Graph, pos = new Map(g.nodes.map((n) => [n.id, n.position ?? { x: 0, y: 0 }]))) {
  const boxes: Box[] = [];
  const handle = new Map<string, { x: number; y: number }>();
  for (const n of g.nodes) {
    const k = kindMap[n.kind];
    const ports = k.ports(n.config ?? {});
    const size = estimateSize(ports.inputs.length, ports.outputs.length, k.runsIn === 'replica');
    const p = pos.get(n.id)!;
    boxes.push({ id: n.id, x: p.x, y: p.y, w: size.w, h: size.h });
    // Port rows start under the kind line and the title (about 48 units down), 18 apart.
    for (const [i, q] of ports.inputs.entries()) handle.set(`${n.id}.in.${q.name}`, { x: p.x - 5, y: p.y + 56 + 18 * i });
    for (const [i, q] of ports.outputs.entries()) handle.set(`${n.id}.out.${q.name}`, { x: p.x + size.w + 5, y: p.y + 56 + 18 * i });
  }
  return { boxes, handle };
}

/** Cards other than its own two that a route passes through (curves sampled). */
function crossings(g: Graph, pos?: Map<string, { x: number; y: number }>): string[] {
  const { boxes, handle } = geometry(g, pos);
  const out: string[] = [];
  for (const e of g.edges) {
    const s = handle.get(`${e.source}.out.${e.sourceHandle}`)!;
    const t = handle.get(`${e.target}.in.${e.targetHandle}`)!;
    const r = routeEdge(s, t, boxes, e.source, e.target);
    const others = boxes.filter((b) => b.id !== e.source && b.id !== e.target);
    const hit =
      r.kind === 'curve'
        ? others.filter((b) => sampleCurve(r.points[0], r.points[1], r.points[2], r.points[3]).some((p) => p.x > b.x && p.x < b.x + b.w && p.y > b.y && p.y < b.y + b.h))
        : others.filter((b) => polylineHits(r.points, [b], new Set(), 0) > 0);
    if (r.blocked || hit.length) out.push(`${e.source}->${e.target} crosses ${hit.map((b) => b.id).join(', ')}`);
  }
  return out;
}

describe('edge routing', () => {
  it('draws the usual curve when nothing is in the way', () => {
    const boxes: Box[] = [
      { id: 'a', x: 0, y: 0, w: 210, h: 100 },
      { id: 'b', x: 400, y: 0, w: 210, h: 100 },
    ];
    const r = routeEdge({ x: 215, y: 50 }, { x: 395, y: 50 }, boxes, 'a', 'b');
    expect(r.kind).toBe('curve');
    expect(r.path).toMatch(/^M215,50 C/);
  });

  it('goes around a card that sits between the two ends', () => {
    const boxes: Box[] = [
      { id: 'a', x: 0, y: 0, w: 210, h: 100 },
      { id: 'mid', x: 300, y: 0, w: 210, h: 100 },
      { id: 'b', x: 600, y: 0, w: 210, h: 100 },
    ];
    const r = routeEdge({ x: 215, y: 60 }, { x: 595, y: 60 }, boxes, 'a', 'b');
    expect(r.kind).toBe('orthogonal');
    expect(r.blocked).toBe(false);
    expect(polylineHits(r.points, boxes, new Set(['a', 'b']))).toBe(0);
    // Out above or below the middle card, then back.
    expect(r.points.some((p) => p.y < 0 || p.y > 100)).toBe(true);
  });

  it('routes a backward edge (target left of its source) around both cards', () => {
    const boxes: Box[] = [
      { id: 'a', x: 400, y: 0, w: 210, h: 100 },
      { id: 'b', x: 0, y: 0, w: 210, h: 100 },
    ];
    const r = routeEdge({ x: 615, y: 50 }, { x: -5, y: 50 }, boxes, 'a', 'b');
    expect(r.blocked).toBe(false);
    expect(polylineHits(r.points, boxes, new Set(['a', 'b']))).toBe(0);
  });

  it('routes every edge of the examples clear of the cards', () => {
    for (const name of ['rag', 'document-analysis', 'fractional-gpu']) expect(crossings(example(name)), name).toEqual([]);
  });
});

/** input -> `chains` chains of preprocessors -> output, `n` nodes in all (bench/editor.ts draws the same graph). */
function chains(n: number, k: number): Graph {
  const nodes: Graph['nodes'] = [{ id: 'input', kind: 'input', position: { x: 0, y: 0 }, config: {}, deployment: {} }];
  const edges: Graph['edges'] = [];
  const per = Math.ceil((n - 2) / k);
  let made = 0;
  for (let c = 0; c < k && made < n - 2; c++) {
    let prev = { id: 'input', port: 'query' };
    for (let i = 0; i < per && made < n - 2; i++, made++) {
      const id = `p${c}_${i}`;
      nodes.push({ id, kind: 'preprocessor', position: { x: 0, y: 0 }, config: {}, deployment: {} });
      edges.push({ source: prev.id, sourceHandle: prev.port, target: id, targetHandle: 'text' });
      prev = { id, port: 'text' };
    }
    edges.push({ source: prev.id, sourceHandle: prev.port, target: 'output', targetHandle: 'in' });
  }
  nodes.push({ id: 'output', kind: 'output', position: { x: 0, y: 0 }, config: {}, deployment: {} });
  return { version: 1, name: 'chains', routePrefix: '/chains', multipleOutputs: false, nodes, edges };
}

describe('auto-layout', () => {
  const laidOut = (g: Graph) => {
    const { boxes } = geometry(g);
    return autoLayout(
      boxes.map((b) => ({ id: b.id, width: b.w, height: b.h })),
      g.edges,
    );
  };
  const rectsAt = (g: Graph, pos: Map<string, { x: number; y: number }>) => geometry(g, pos).boxes;

  for (const name of ['rag', 'document-analysis', 'fractional-gpu']) {
    it(`lays out ${name} left to right with no overlaps and every edge clear of the cards`, () => {
      const g = example(name);
      const pos = laidOut(g);
      const rects = rectsAt(g, pos);
      for (let i = 0; i < rects.length; i++) for (let j = i + 1; j < rects.length; j++) expect(overlaps(rects[i], rects[j], 30), `${rects[i].id} / ${rects[j].id}`).toBe(false);
      for (const e of g.edges) expect(pos.get(e.source)!.x).toBeLessThan(pos.get(e.target)!.x);
      expect(crossings(g, pos)).toEqual([]);
    });
  }

  it('lays out 300 nodes in even columns, without overlaps or edges under cards', () => {
    const g = chains(300, 30);
    const pos = laidOut(g);
    const rects = rectsAt(g, pos);
    const columns = [...new Set(rects.map((r) => r.x))].sort((a, b) => a - b);
    // Twelve ranks (input, ten preprocessors, output), equally spaced.
    expect(columns).toHaveLength(12);
    const steps = new Set(columns.slice(1).map((x, i) => x - columns[i]));
    expect(steps.size).toBe(1);
    const sorted = [...rects].sort((a, b) => a.x - b.x || a.y - b.y);
    for (let i = 0; i < sorted.length; i++) {
      for (let j = i + 1; j < sorted.length && sorted[j].x < sorted[i].x + sorted[i].w + 30; j++) expect(overlaps(sorted[i], sorted[j], 30)).toBe(false);
    }
    expect(crossings(g, pos)).toEqual([]);
  });
});

describe('edge routing on a crowded canvas', () => {
  it('stays bounded when hundreds of cards lie between the two ends', () => {
    const boxes: Box[] = [];
    for (let i = 0; i < 400; i++) boxes.push({ id: `n${i}`, x: (i * 7919) % 3000, y: (i * 104729) % 2000, w: 210, h: 100 });
    // Candidates are bounded (the nearest channels and lanes), so this returns within the test's timeout
    // instead of building millions of candidate paths; a route always comes back, blocked when nothing gets through.
    for (let i = 0; i < 50; i++) {
      const r = routeEdge({ x: -10, y: 1000 + i }, { x: 3300, y: 900 - i }, boxes, 'a', 'b');
      expect(r.points.length).toBeGreaterThan(1);
      expect(r.path).toMatch(/^M-10,/);
    }
  });
});
