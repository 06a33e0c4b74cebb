/**
 * The editor with a 300-node graph in Chromium: time from loading the document
 * to every node drawn; frame times while panning with the mouse at fit view (which
 * stops at the zoom where titles stay readable), at 1:1 and with the whole graph in
 * view; auto-layout time and what it gives (overlaps, edges under cards, column
 * spacing). A 10-node graph measured in the same run and browser is the baseline.
 */
import type { Page } from 'playwright-core';
import type { EditorState } from '../editor/store/graph.js';
import { FIT_VIEW } from '../editor/lib/zoom.js';
import type { Graph } from '../shared/graph.js';
import { ensureEditorBuilt, launchChromium, serveDist } from '../test/editor/browser.js';
import { markdownTable, report } from './lib/report.js';

interface EditorWindow {
  beamline: { store: { getState(): EditorState; setState(patch: Partial<EditorState>): void } };
}

/** input -> `chains` parallel chains of preprocessors -> output; `n` nodes in all. */
function bigGraph(n: number, chains: number): Graph {
  const nodes: Graph['nodes'] = [{ id: 'input', kind: 'input', position: { x: 0, y: 0 }, config: {}, deployment: {} }];
  const edges: Graph['edges'] = [];
  const middle = n - 2;
  const perChain = Math.ceil(middle / chains);
  let made = 0;
  for (let c = 0; c < chains && made < middle; c++) {
    let prev = { id: 'input', port: 'query' };
    for (let i = 0; i < perChain && made < middle; i++, made++) {
      const id = `p${c}_${i}`;
      nodes.push({ id, kind: 'preprocessor', position: { x: 260 * (i + 1), y: 140 * c }, config: {}, deployment: {} });
      edges.push({ source: prev.id, sourceHandle: prev.port, target: id, targetHandle: 'text' });
      prev = { id, port: 'text' };
    }
    edges.push({ source: prev.id, sourceHandle: prev.port, target: 'output', targetHandle: 'in' });
  }
  nodes.push({ id: 'output', kind: 'output', position: { x: 260 * (perChain + 1), y: 0 }, config: {}, deployment: {} });
  return { version: 1, name: `bench-${n}`, routePrefix: `/bench-${n}`, multipleOutputs: false, nodes, edges };
}

/** Milliseconds from store.load() to every node drawn and measured, then two frames painted. */
function loadTime(page: Page, graph: Graph): Promise<number> {
  return page.evaluate(async (g) => {
    const store = (window as unknown as EditorWindow).beamline.store;
    store.getState().newGraph();
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const t0 = performance.now();
    store.getState().load(g);
    await new Promise<void>((resolve) => {
      const check = () => {
        const s = store.getState();
        const drawn = document.querySelectorAll('.react-flow__node').length;
        if (drawn === g.nodes.length && s.nodes.every((n) => n.measured?.width)) resolve();
        else requestAnimationFrame(check);
      };
      check();
    });
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return performance.now() - t0;
  }, graph);
}

/** Frame intervals (ms) recorded with requestAnimationFrame while the mouse drags the pane. */
async function panFrames(page: Page): Promise<number[]> {
  await page.evaluate(() => {
    const w = window as unknown as { frames_: number[]; recording: boolean };
    w.frames_ = [];
    w.recording = true;
    let last = performance.now();
    const tick = (t: number) => {
      w.frames_.push(t - last);
      last = t;
      if (w.recording) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const box = (await page.locator('.react-flow__pane').boundingBox())!;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  for (let round = 0; round < 3; round++) {
    await page.mouse.move(cx - 200, cy);
    await page.mouse.down();
    await page.mouse.move(cx + 200, cy + 100, { steps: 60 });
    await page.mouse.up();
  }
  return page.evaluate(() => {
    const w = window as unknown as { frames_: number[]; recording: boolean };
    w.recording = false;
    return w.frames_.slice(2);
  });
}

type View = 'fit' | '1:1' | 'whole';

/** Puts the view at fit (Fit view's own options), 1:1 centred on the graph, or zoomed out until the whole graph shows; returns the zoom and how cards are drawn. */
async function setView(page: Page, view: View): Promise<{ zoom: number; detail: string }> {
  await page.evaluate(
    async ({ v, fit }) => {
      const s = (window as unknown as EditorWindow).beamline.store.getState();
      const flow = s.flow!;
      if (v === 'fit') await flow.fitView(fit);
      else if (v === 'whole') await flow.fitView({ padding: 0.05, minZoom: 0.01, maxZoom: 1 });
      else {
        const xs = s.nodes.map((n) => n.position.x);
        const ys = s.nodes.map((n) => n.position.y);
        await flow.setCenter((Math.min(...xs) + Math.max(...xs)) / 2, (Math.min(...ys) + Math.max(...ys)) / 2, { zoom: 1 });
      }
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    },
    { v: view, fit: FIT_VIEW },
  );
  return page.evaluate(() => ({
    zoom: (window as unknown as EditorWindow).beamline.store.getState().flow!.getZoom(),
    detail: document.querySelector('.bl-canvas')?.getAttribute('data-detail') ?? '',
  }));
}

/** store.layout() (dagre) until the new positions are drawn; then what it gave, read from the page. */
function layoutOnce(page: Page): Promise<{ ms: number; overlaps: number; edgesUnderCards: number; edges: number; columns: number; columnSteps: number[] }> {
  return page.evaluate(async () => {
    const store = (window as unknown as EditorWindow).beamline.store;
    // Scramble first, so every run lays out from the same disorder.
    store.setState({ nodes: store.getState().nodes.map((n, i) => ({ ...n, position: { x: (i * 7919) % 3000, y: (i * 104729) % 2000 } })) });
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const t0 = performance.now();
    store.getState().layout();
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const ms = performance.now() - t0;
    const nodes = store.getState().nodes;
    const rects = nodes.map((n) => ({ x: n.position.x, y: n.position.y, w: n.measured?.width ?? 210, h: n.measured?.height ?? 100 }));
    let overlaps = 0;
    for (let i = 0; i < rects.length; i++) {
      for (let j = i + 1; j < rects.length; j++) {
        const [a, b] = [rects[i], rects[j]];
        if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) overlaps++;
      }
    }
    const columns = [...new Set(rects.map((r) => r.x))].sort((a, b) => a - b);
    const columnSteps = [...new Set(columns.slice(1).map((x, i) => x - columns[i]))];
    // Edges drawn under a card: sample every drawn path (flow coordinates) against the cards.
    const byId = new Map(nodes.map((n, i) => [n.id, rects[i]]));
    let under = 0;
    const paths = [...document.querySelectorAll<SVGPathElement>('.react-flow__edge-path')];
    for (const path of paths) {
      const id = path.closest('[data-testid^="rf__edge-"]')?.getAttribute('data-testid')?.slice('rf__edge-'.length) ?? '';
      const e = store.getState().edges.find((x) => x.id === id);
      const len = path.getTotalLength();
      let hit = false;
      for (let d = 0; d <= len && !hit; d += 4) {
        const p = path.getPointAtLength(d);
        for (const [nid, r] of byId) {
          if (nid === e?.source || nid === e?.target) continue;
          if (p.x > r.x + 2 && p.x < r.x + r.w - 2 && p.y > r.y + 2 && p.y < r.y + r.h - 2) {
            hit = true;
            break;
          }
        }
      }
      if (hit) under++;
    }
    return { ms, overlaps, edgesUnderCards: under, edges: paths.length, columns: columns.length, columnSteps };
  });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs: number[]) => pct(xs, 50);

ensureEditorBuilt();
const server = await serveDist();
const chromium = await launchChromium({ width: 1440, height: 900 });
try {
  // tsx keeps function names with a __name helper that page-side functions would miss.
  await chromium.context.addInitScript({ content: 'window.__name = (f) => f;' });
  const page = await chromium.context.newPage();
  await page.goto(server.url);
  await page.waitForSelector('.bl-palette-item');
  const rows: { n: number; view: View; zoom: number; detail: string; frameMean: number; frameP95: number; frames: number }[] = [];
  const loads: Record<number, number> = {};
  const layouts: Record<number, Awaited<ReturnType<typeof layoutOnce>> & { median: number }> = {};
  for (const n of [10, 300]) {
    const g = bigGraph(n, n >= 100 ? 30 : 2);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) times.push(await loadTime(page, g));
    loads[n] = median(times);
    for (const view of ['fit', '1:1', 'whole'] as View[]) {
      const v = await setView(page, view);
      const frames = await panFrames(page);
      rows.push({ n, view, ...v, frameMean: mean(frames), frameP95: pct(frames, 95), frames: frames.length });
    }
    const runs: Awaited<ReturnType<typeof layoutOnce>>[] = [];
    for (let i = 0; i < 5; i++) runs.push(await layoutOnce(page));
    layouts[n] = { ...runs[runs.length - 1], median: median(runs.map((r) => r.ms)) };
  }
  const row = (n: number, view: View) => rows.find((r) => r.n === n && r.view === view)!;
  const big = layouts[300];
  report({
    name: 'editor',
    what:
      "The built editor in headless Chromium (--disable-gpu, software rendering): a generated graph (input, 298 preprocessors in 30 parallel chains, output) loaded through the store, timed until every node is drawn and measured (median of 5); frame intervals from requestAnimationFrame while the mouse pans the canvas (3 drags of 60 steps) at fit view (Fit view's limits: no further out than zoom 0.4, where simplified cards' titles are 11 px), at 1:1 (full cards) and zoomed out until the whole graph shows (simplified cards); auto-layout (store.layout(): dagre, then drawn) from scrambled positions, median of 5, and what it gives: overlapping cards, edges drawn under a card (every drawn path sampled every 4 units), columns and their spacing. Baseline: the same steps with a 10-node graph in the same browser.",
    summary: [
      { metric: '300-node load to drawn (ms)', value: Number(loads[300].toFixed(1)), baseline: Number(loads[10].toFixed(1)), ratio: loads[300] / loads[10] },
      { metric: '300-node pan frame mean at fit view (ms)', value: Number(row(300, 'fit').frameMean.toFixed(1)), baseline: Number(row(10, 'fit').frameMean.toFixed(1)), ratio: row(300, 'fit').frameMean / row(10, 'fit').frameMean },
      { metric: '300-node pan frame mean at 1:1 (ms)', value: Number(row(300, '1:1').frameMean.toFixed(1)), baseline: Number(row(10, '1:1').frameMean.toFixed(1)), ratio: row(300, '1:1').frameMean / row(10, '1:1').frameMean },
      { metric: '300-node pan frame mean, whole graph in view (ms)', value: Number(row(300, 'whole').frameMean.toFixed(1)), baseline: Number(row(10, 'whole').frameMean.toFixed(1)), ratio: row(300, 'whole').frameMean / row(10, 'whole').frameMean },
      { metric: '300-node auto-layout to drawn (ms)', value: Number(big.median.toFixed(1)), baseline: Number(layouts[10].median.toFixed(1)), ratio: big.median / layouts[10].median },
      { metric: '300-node auto-layout: overlapping cards, edges under cards', value: `${big.overlaps}, ${big.edgesUnderCards} of ${big.edges}`, target: '0, 0', pass: big.overlaps === 0 && big.edgesUnderCards === 0 },
      { metric: '300-node auto-layout: columns, distinct column steps', value: `${big.columns}, ${big.columnSteps.length} (${big.columnSteps.join(', ')} units)`, target: 'one step', pass: big.columnSteps.length === 1 },
    ],
    figure: markdownTable(
      ['nodes', 'view', 'zoom', 'cards', 'pan frame ms mean', 'pan frame ms p95', 'frames'],
      rows.map((r) => [r.n, r.view, r.zoom, r.detail, r.frameMean, r.frameP95, r.frames]),
    ),
    details: { loads, rows, layouts },
  });
} finally {
  await chromium.close();
  await server.close();
}
