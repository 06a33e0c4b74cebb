/**
 * Canvas ergonomics in real Chromium against the built editor served by the real
 * runtime: readable titles at fit view, simplified cards when zoomed out, collapsible
 * and resizable panels at 1024×700, the dark theme (following prefers-color-scheme,
 * the toggle remembered), new nodes placed without overlap, edges clear of the cards.
 * Geometry is read from the page (computed styles, bounding boxes, SVG paths).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BeamlineServer, createServer } from '../../runtime/server/index.js';
import { NO_CHROMIUM } from '../system-tools.js';
import { editorHelpers, ensureEditorBuilt, type Launched, launchChromium, POLL } from './browser.js';

let server: BeamlineServer;
let chromium: Launched;
let page: Page;
let dataDir: string;
const consoleErrors: string[] = [];

const { node, visible, countOf, onCanvas } = editorHelpers(() => page);

/** The zoom the user sees: the scale of React Flow's viewport transform. */
const zoom = () => page.evaluate(() => new DOMMatrixReadOnly(getComputedStyle(document.querySelector('.react-flow__viewport')!).transform).a);

/** Waits until the view stops moving (fit view runs a frame after the graph is drawn) and every card is measured. */
async function settle() {
  let last = '';
  await expect
    .poll(async () => {
      const now = await page.evaluate(() => {
        const vp = document.querySelector('.react-flow__viewport');
        const nodes = [...document.querySelectorAll<HTMLElement>('.react-flow__node')];
        return `${vp && getComputedStyle(vp).transform}|${nodes.length}|${nodes.every((n) => n.style.visibility !== 'hidden')}`;
      });
      const same = now === last && now.endsWith('true');
      last = now;
      if (!same) await page.waitForTimeout(200);
      return same;
    }, POLL)
    .toBe(true);
}

/** Each card's title as drawn: computed font size × zoom, and whether it is shown. */
const titles = () =>
  page.evaluate(() => {
    const z = new DOMMatrixReadOnly(getComputedStyle(document.querySelector('.react-flow__viewport')!).transform).a;
    return [...document.querySelectorAll('.react-flow__node-beamline .bl-node-label')].map((el) => ({
      text: el.textContent,
      px: Number.parseFloat(getComputedStyle(el).fontSize) * z,
      shown: getComputedStyle(el).visibility === 'visible',
    }));
  });

/** Pairs of cards whose boxes on screen overlap. */
const overlapping = () =>
  page.evaluate(() => {
    const cards = [...document.querySelectorAll('.react-flow__node-beamline')].map((el) => ({ id: el.getAttribute('data-id'), r: el.getBoundingClientRect() }));
    const out: string[] = [];
    for (let i = 0; i < cards.length; i++) {
      for (let j = i + 1; j < cards.length; j++) {
        const [a, b] = [cards[i].r, cards[j].r];
        if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) out.push(`${cards[i].id} / ${cards[j].id}`);
      }
    }
    return out;
  });

/** Edges that pass under a card: points every 2 px along each drawn path, against every card's box (less 2 px of border). */
const edgesUnderCards = () =>
  page.evaluate(() => {
    const cards = [...document.querySelectorAll('.react-flow__node-beamline')].map((el) => ({ id: el.getAttribute('data-id'), r: el.getBoundingClientRect() }));
    const out = new Set<string>();
    const paths = [...document.querySelectorAll<SVGPathElement>('.react-flow__edge-path')];
    for (const path of paths) {
      const id = path.closest('[data-testid^="rf__edge-"]')?.getAttribute('data-testid')?.slice('rf__edge-'.length);
      const m = path.getScreenCTM()!;
      const len = path.getTotalLength();
      for (let d = 0; d <= len; d += 2) {
        const p = new DOMPoint(path.getPointAtLength(d).x, path.getPointAtLength(d).y).matrixTransform(m);
        for (const c of cards) if (p.x > c.r.left + 2 && p.x < c.r.right - 2 && p.y > c.r.top + 2 && p.y < c.r.bottom - 2) out.add(`${id} under ${c.id}`);
      }
    }
    return { edges: paths.length, under: [...out] };
  });

const canvasWidth = async () => (await page.locator('.bl-canvas').boundingBox())!.width;

async function openExample(name: string) {
  await onCanvas('Control+e');
  await page.locator(`[data-example="${name}"]`).click();
  await countOf(page.locator('.bl-overlay')).toBe(0);
  await page.getByTestId('graph-name').filter({ hasText: name }).waitFor();
  await settle();
}

beforeAll(async () => {
  if (NO_CHROMIUM) return;
  ensureEditorBuilt();
  dataDir = mkdtempSync(join(tmpdir(), 'beamline-canvas-test-'));
  server = await createServer({ port: 0, cpus: 4, memoryMb: 16_000, dataDir, log: () => {} });
  // The system asks for dark: the editor follows it until the user picks a theme.
  chromium = await launchChromium({ width: 1440, height: 900 }, { colorScheme: 'dark' });
  page = await chromium.context.newPage();
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.goto(server.url);
  await page.waitForSelector('.bl-palette-item');
}, 120_000);

afterAll(async () => {
  await chromium?.close();
  await server?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe.skipIf(NO_CHROMIUM)('the canvas in Chromium', () => {
  it('shows every node title at 11 px or more at fit view on 1440×900 (RAG, document-analysis)', async () => {
    for (const name of ['rag', 'document-analysis']) {
      await openExample(name);
      const t = await titles();
      expect(t.length).toBeGreaterThanOrEqual(6);
      for (const x of t) {
        expect(x.shown, `${name}: ${x.text}`).toBe(true);
        expect(x.px, `${name}: ${x.text} at ${x.px.toFixed(1)} px`).toBeGreaterThanOrEqual(11);
      }
    }
  });

  it('draws zoomed-out cards simplified (title and status), and in full again when zoomed in', async () => {
    await openExample('rag');
    const pane = (await page.locator('.react-flow__pane').boundingBox())!;
    await page.mouse.move(pane.x + pane.width / 2, pane.y + pane.height / 2);
    // Zoomed in: ports, badge and kind line are drawn; the status line is not.
    while ((await zoom()) < 0.95) {
      await page.mouse.wheel(0, -200);
      await page.waitForTimeout(60);
    }
    await expect.poll(() => page.locator('.bl-canvas').getAttribute('data-detail'), POLL).toBe('full');
    expect(await node('embed').locator('.bl-ports').isVisible()).toBe(true);
    expect(await node('embed').getByTestId('badge').isVisible()).toBe(true);
    expect(await node('embed').getByTestId('simple-status').isVisible()).toBe(false);
    const full = (await node('embed').boundingBox())!.height / (await zoom());
    // Zoomed out past the point where that detail is readable: title and status only, in large type.
    while ((await zoom()) > 0.3) {
      await page.mouse.wheel(0, 200);
      await page.waitForTimeout(60);
    }
    await expect.poll(() => page.locator('.bl-canvas').getAttribute('data-detail'), POLL).toBe('simple');
    expect(await node('embed').locator('.bl-ports').isVisible()).toBe(false);
    expect(await node('embed').getByTestId('badge').isVisible()).toBe(false);
    expect(await node('embed').locator('.bl-node-label').isVisible()).toBe(true);
    expect(await node('embed').getByTestId('simple-status').textContent()).toBe('Embedder');
    const [label] = await node('embed').locator('.bl-node-label').evaluateAll((els) => els.map((e) => Number.parseFloat(getComputedStyle(e).fontSize)));
    expect(label).toBeGreaterThan(15);
    // A card keeps its size either way, so edges and placement do not move with the zoom.
    const simple = (await node('embed').boundingBox())!.height / (await zoom());
    expect(Math.abs(simple - full)).toBeLessThan(1);
  });

  it('routes the edges of the examples clear of the cards, also after auto-layout', async () => {
    for (const name of ['rag', 'document-analysis', 'fractional-gpu']) {
      await openExample(name);
      const r = await edgesUnderCards();
      expect(r.edges, name).toBeGreaterThan(2);
      expect(r.under, name).toEqual([]);
    }
    await openExample('rag');
    await onCanvas('Shift+L');
    await settle();
    expect(await overlapping()).toEqual([]);
    expect((await edgesUnderCards()).under).toEqual([]);
    // Back to the example as saved, so later steps are not asked about unsaved edits.
    await onCanvas('Control+z');
    await countOf(page.getByTestId('unsaved')).toBe(0);
  });

  it('collapses and resizes the side panels at 1024×700, giving the canvas the room', async () => {
    await page.setViewportSize({ width: 1024, height: 700 });
    await settle();
    const start = await canvasWidth();
    // The page itself never scrolls sideways, and the toolbar's Deploy stays on screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1024);
    expect((await page.getByTestId('deploy-button').boundingBox())!.x + 40).toBeLessThan(1024);
    // Drag the side panel's border to the right: the panel narrows, the canvas widens.
    const border = (await page.getByTestId('resize-side').boundingBox())!;
    await page.mouse.move(border.x + 3, border.y + 200);
    await page.mouse.down();
    await page.mouse.move(border.x + 63, border.y + 200, { steps: 6 });
    await page.mouse.up();
    const dragged = await canvasWidth();
    expect(dragged).toBeGreaterThan(start + 30);
    // The keyboard resizes it too (the border is a focusable separator).
    await page.getByTestId('resize-palette').focus();
    await page.keyboard.press('ArrowLeft');
    const resized = await canvasWidth();
    expect(resized).toBeGreaterThan(dragged);
    // Collapsed, each panel is a narrow strip and the canvas takes the rest.
    await page.getByTestId('collapse-palette').click();
    await page.getByTestId('collapse-side').click();
    const wide = await canvasWidth();
    expect(wide).toBeGreaterThan(900);
    await onCanvas('Shift+F');
    await settle();
    for (const x of await titles()) expect(x.px).toBeGreaterThanOrEqual(11);
    // Remembered across a reload, then opened again from the strips.
    await page.reload();
    await page.waitForSelector('[data-testid="expand-palette"]');
    expect(await page.locator('.bl-palette').count()).toBe(0);
    // With nothing deployed a reload opens on the Deployments view; back to the canvas.
    await page.getByTestId('home').getByRole('button', { name: 'New graph' }).click();
    await page.getByTestId('expand-palette').click();
    await page.getByTestId('expand-side').click();
    await visible(page.locator('.bl-palette'));
    await visible(page.getByRole('tab', { name: 'Inspector' }));
    expect(Math.abs((await canvasWidth()) - resized)).toBeLessThan(2);
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('follows prefers-color-scheme until the toggle is used, and remembers the toggle across a reload', async () => {
    const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
    // The browser was launched with colorScheme: 'dark'.
    expect(await theme()).toBe('dark');
    const darkText = await page.evaluate(() => getComputedStyle(document.querySelector('.bl-palette')!).color);
    await page.getByTestId('theme-toggle').click();
    expect(await theme()).toBe('light');
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('.bl-palette')!).color)).not.toBe(darkText);
    await page.reload();
    await page.waitForSelector('.bl-palette-item');
    expect(await theme()).toBe('light');
    expect(await page.getByTestId('theme-toggle').getAttribute('aria-pressed')).toBe('false');
    // Back to following the system (View menu), which then changes under it.
    await page.locator('.bl-menu summary', { hasText: 'View' }).click();
    await page.locator('[data-command="view.themeSystem"]').click();
    expect(await theme()).toBe('dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(theme, POLL).toBe('light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(theme, POLL).toBe('dark');
  });

  it('places nodes added with Enter, quick add, Ctrl+D and paste where they cover no other node', async () => {
    await onCanvas('Alt+n');
    await page.getByTestId('home').waitFor({ state: 'detached' }).catch(() => {});
    await countOf(page.locator('.react-flow__node')).toBe(0);
    // Enter on palette items: each lands at the centre of the view, or the nearest free place.
    for (const kind of ['input', 'embedder', 'retriever']) await page.locator(`.bl-palette-item[data-kind="${kind}"]`).press('Enter');
    await countOf(page.locator('.react-flow__node-beamline')).toBe(3);
    await settle();
    expect(await overlapping()).toEqual([]);
    // Quick add with the pointer over a card.
    const over = (await node('embedder').boundingBox())!;
    await page.mouse.move(over.x + over.width / 2, over.y + over.height / 2);
    await onCanvas('Control+k');
    await page.getByRole('dialog', { name: 'Add node' }).getByRole('textbox').fill('output');
    await page.keyboard.press('Enter');
    await visible(node('output'));
    // Duplicate the selected node (the one just added).
    await onCanvas('Control+d');
    await visible(node('output_2'));
    // Copy the embedder and paste it with the pointer over the input card.
    await node('embedder').locator('.bl-node-label').click();
    await onCanvas('Control+c');
    const onInput = (await node('input').boundingBox())!;
    await page.mouse.move(onInput.x + 20, onInput.y + 20);
    await onCanvas('Control+v');
    await visible(node('embedder_2'));
    await settle();
    await countOf(page.locator('.react-flow__node-beamline')).toBe(6);
    expect(await overlapping()).toEqual([]);
  });

  it('logs nothing to the browser console', () => {
    expect(consoleErrors).toEqual([]);
  });
});
