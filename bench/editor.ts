/**
 * The editor with a 300-node graph in Chromium: time from loading the document
 * to every node drawn, and frame times while panning with the mouse. A 10-node
 * graph measured in the same run and browser is the baseline.
 */
import type { Page } from 'playwright-core';
import type { EditorState } from '../editor/store/graph.js';
import type { Graph } from '../shared/graph.js';
import { ensureEditorBuilt, launchChromium, serveDist } from '../test/editor/browser.js';
import { markdownTable, report } from './lib/report.js';

interface EditorWindow {
  beamline: { store: { getState(): EditorState } };
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
  const runs: { n: number; minimap: boolean }[] = [
    { n: 10, minimap: true },
    { n: 300, minimap: true },
    { n: 300, minimap: false },
  ];
  const rows: { n: number; minimap: boolean; load: number; frameMean: number; frameP95: number; frames: number }[] = [];
  for (const { n, minimap } of runs) {
    await page.evaluate((on) => (window as unknown as EditorWindow).beamline.store.getState().setMinimap(on), minimap);
    const g = bigGraph(n, n >= 100 ? 30 : 2);
    const loads: number[] = [];
    for (let i = 0; i < 5; i++) loads.push(await loadTime(page, g));
    const frames = await panFrames(page);
    rows.push({ n, minimap, load: median(loads), frameMean: mean(frames), frameP95: pct(frames, 95), frames: frames.length });
  }
  const [small, big, bare] = rows;
  report({
    name: 'editor',
    what:
      'The built editor in headless Chromium (--disable-gpu, software rendering): a generated graph (input, 298 preprocessors in 30 parallel chains, output) loaded through the store, timed until every node is drawn and measured (median of 5), then frame intervals from requestAnimationFrame while the mouse pans the canvas (3 drags of 60 steps). Baseline: the same steps with a 10-node graph in the same browser; the 300-node graph is also panned with the minimap hidden.',
    summary: [
      { metric: '300-node load to drawn (ms)', value: Number(big.load.toFixed(1)), baseline: Number(small.load.toFixed(1)), ratio: big.load / small.load },
      { metric: '300-node frame time while panning, mean (ms)', value: Number(big.frameMean.toFixed(1)), baseline: Number(small.frameMean.toFixed(1)), ratio: big.frameMean / small.frameMean },
      { metric: '300-node frame time while panning, p95 (ms)', value: Number(big.frameP95.toFixed(1)), baseline: Number(small.frameP95.toFixed(1)), ratio: big.frameP95 / small.frameP95 },
      { metric: '300-node pan frame mean without the minimap (ms)', value: Number(bare.frameMean.toFixed(1)), baseline: Number(small.frameMean.toFixed(1)), ratio: bare.frameMean / small.frameMean },
    ],
    figure: markdownTable(
      ['nodes', 'minimap', 'load ms (median of 5)', 'pan frame ms mean', 'pan frame ms p95', 'frames'],
      rows.map((r) => [r.n, r.minimap ? 'on' : 'off', r.load, r.frameMean, r.frameP95, r.frames]),
    ),
    details: rows,
  });
} finally {
  await chromium.close();
  await server.close();
}
