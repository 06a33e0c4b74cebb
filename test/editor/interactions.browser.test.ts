/**
 * The canvas tools as a new user tries them, in real Chromium against the built editor served by
 * the real runtime (createServer, without the custom-node example's kind): right-click menus,
 * quick add from a dropped connection, the refused connection line, moving and detaching edge
 * ends, find, the shortcut sheet, notes and groups (saved, validated, reopened), and the small
 * defects of issue 14 (name on Enter, route prefix, inspector on select, every error on the card,
 * messages that clear and show whole, the LLM form per backend, unknown kinds as placeholders,
 * images picked from files in the console).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatShortcut } from '../../editor/lib/shortcuts.js';
import { COMMANDS } from '../../editor/store/commands.js';
import { type BeamlineServer, createServer } from '../../runtime/server/index.js';
import { NO_CHROMIUM } from '../system-tools.js';
import { type EditorWindow, editorHelpers, ensureEditorBuilt, type Launched, launchChromium, POLL, ROOT, openNewGraph } from './browser.js';

let server: BeamlineServer;
let chromium: Launched;
let page: Page;
let dir: string;
const consoleErrors: string[] = [];

const { node, handle, visible, textOf, countOf, onCanvas } = editorHelpers(() => page);
type Store = ReturnType<EditorWindow['beamline']['store']['getState']>;
/** Reads the store (what the user built) in the page. */
const read = <T>(fn: (s: Store) => T): Promise<T> =>
  page.evaluate(`(${fn.toString()})(window.beamline.store.getState())`) as Promise<T>;
const center = async (l: Locator) => {
  const b = (await l.boundingBox())!;
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
};
/** An empty spot of the canvas, in screen coordinates, at fractions of its size. */
const spot = async (fx: number, fy: number) => {
  const b = (await page.locator('.react-flow__pane').boundingBox())!;
  return { x: b.x + b.width * fx, y: b.y + b.height * fy };
};
const menu = () => page.getByTestId('context-menu');
/** Drags a kind from the palette onto the canvas at fractions of the canvas's size (panel widths vary). */
async function dropKind(kind: string, fx: number, fy: number) {
  const canvas = page.locator('.bl-canvas');
  const b = (await canvas.boundingBox())!;
  await page.locator(`.bl-palette-item[data-kind="${kind}"]`).dragTo(canvas, { targetPosition: { x: b.width * fx, y: b.height * fy } });
  await visible(node(kind));
}

/** A w x h red PNG, built here (no image file ships for this). */
function png(w: number, h: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const t = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(t));
    return Buffer.concat([len, t, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.concat(Array.from({ length: h }, () => Buffer.from([0, ...Array.from({ length: w }, () => [255, 0, 0]).flat()])));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

/** Waits until `done` holds in the page; when the unsaved-changes question comes first, answers Discard. */
async function discardingChanges(done: string) {
  await page.waitForFunction(`(${done})(window.beamline.store.getState()) || !!document.querySelector('[data-testid="confirm-dialog"]')`);
  const ask = page.getByTestId('confirm-dialog');
  if (await ask.isVisible()) await ask.getByRole('button', { name: 'Discard changes' }).click();
  await page.waitForFunction(`(${done})(window.beamline.store.getState())`);
}

/** File > New, as the keyboard does it (Alt+N), discarding what was on the canvas. */
async function newGraph() {
  await onCanvas('Alt+n');
  await discardingChanges('(s) => s.nodes.length === 0 && s.meta.name === "untitled"');
}

async function openGraph(doc: unknown, name = 'graph.json') {
  const dt = await page.evaluateHandle(
    ([n, t]) => {
      const d = new DataTransfer();
      d.items.add(new File([t], n, { type: 'application/json' }));
      return d;
    },
    [name, JSON.stringify(doc)] as const,
  );
  await page.dispatchEvent('.bl-app', 'drop', { dataTransfer: dt });
  const d = doc as { name: string; nodes: unknown[] };
  await discardingChanges(`(s) => s.meta.name === ${JSON.stringify(d.name)} && s.nodes.length === ${d.nodes.length}`);
  await page.waitForFunction(() => document.querySelectorAll('.react-flow__node-beamline').length > 0);
}

const example = (name: string) => JSON.parse(readFileSync(join(ROOT, `examples/${name}/graph.json`), 'utf8'));

beforeAll(async () => {
  if (NO_CHROMIUM) return;
  ensureEditorBuilt();
  dir = mkdtempSync(join(tmpdir(), 'beamline-interactions-'));
  // No --nodes: the custom-node example's kind is unknown to this server.
  server = await createServer({ port: 0, cpus: 4, memoryMb: 8000, dataDir: dir, log: () => {} });
  chromium = await launchChromium();
  page = await chromium.context.newPage();
  page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && consoleErrors.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await openNewGraph(page, server.url);
});

afterAll(async () => {
  await chromium?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(NO_CHROMIUM)('canvas tools in Chromium', () => {
  it('right-clicks the canvas, a node and an edge for the registry commands that apply there', async () => {
    await openGraph(example('rag'));
    const at = await spot(0.5, 0.12);
    await page.mouse.click(at.x, at.y, { button: 'right' });
    await visible(menu());
    // Labels and shortcuts come from the command registry.
    const paneItems = await menu().getByRole('menuitem').evaluateAll((els) => els.map((e) => e.getAttribute('data-command')));
    expect(paneItems).toEqual(COMMANDS.filter((c) => c.context?.includes('pane')).map((c) => c.id));
    await textOf(menu().locator('[data-command="edit.find"]')).toBe(`Find node…${formatShortcut('Mod+F', false)}`);
    await page.keyboard.press('Escape');
    await countOf(menu()).toBe(0);

    await node('embed').locator('.bl-node-label').click({ button: 'right' });
    expect(await read((s) => s.nodes.filter((n) => n.selected).map((n) => n.id))).toEqual(['embed']);
    await menu().locator('[data-command="edit.duplicate"]').click();
    await visible(node('embed_2'));
    await onCanvas('Delete');
    await countOf(node('embed_2')).toBe(0);

    // An edge: right-click its path, Delete removes just it.
    const edges = await read((s) => s.edges.length);
    const edge = page.locator('.react-flow__edge[data-id="retrieve.documents->answer.context"] .react-flow__edge-interaction');
    const path = (await edge.evaluate((el) => {
      const p = el as SVGPathElement;
      const m = p.getPointAtLength(p.getTotalLength() / 2);
      const pt = p.ownerSVGElement!.createSVGPoint();
      pt.x = m.x;
      pt.y = m.y;
      const s = pt.matrixTransform(p.getScreenCTM()!);
      return { x: s.x, y: s.y };
    }))!;
    await page.mouse.click(path.x, path.y, { button: 'right' });
    expect(await menu().getByRole('menuitem').evaluateAll((els) => els.map((e) => e.getAttribute('data-command')))).toEqual(['edit.delete']);
    await menu().getByRole('menuitem', { name: /Delete/ }).click();
    await expect.poll(() => read((s) => s.edges.length), POLL).toBe(edges - 1);
    expect(await read((s) => s.edges.some((e) => e.id === 'retrieve.documents->answer.context'))).toBe(false);
    await onCanvas('Control+z');
    await expect.poll(() => read((s) => s.edges.length), POLL).toBe(edges);
  });

  it('drops a connection on empty canvas: quick add lists only kinds that take the value, and connects the one picked', async () => {
    await newGraph();
    await dropKind('embedder', 0.22, 0.25);
    const from = await center(handle('embedder', 'vector', 'source'));
    const to = await spot(0.75, 0.6);
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(to.x, to.y, { steps: 12 });
    await page.mouse.up();
    const picker = page.getByRole('dialog', { name: /Add a node taking vector/ });
    await visible(picker);
    const offered = await picker.locator('.bl-pick span').allTextContents();
    expect(offered).toContain('Retriever');
    expect(offered).not.toContain('Preprocessor');
    expect(offered).not.toContain('LLM');
    await picker.getByRole('textbox').fill('retr');
    await page.keyboard.press('Enter');
    await visible(node('retriever'));
    expect(await read((s) => s.edges.map((e) => e.id))).toEqual(['embedder.vector->retriever.vector']);
    // Added where the connection was dropped, to the right of it.
    const added = (await node('retriever').boundingBox())!;
    expect(Math.abs(added.x - to.x)).toBeLessThan(80);
    // One undo step takes both away.
    await onCanvas('Control+z');
    await countOf(node('retriever')).toBe(0);
    expect(await read((s) => s.edges.length)).toBe(0);
  });

  it('draws the connection red with the reason over a port that refuses it; the message goes at the next edit', async () => {
    await dropKind('input', 0.15, 0.5);
    await dropKind('retriever', 0.6, 0.5);
    const from = await center(handle('input', 'query', 'source'));
    const to = await center(handle('retriever', 'vector', 'target'));
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(to.x, to.y, { steps: 12 });
    await textOf(page.getByTestId('connection-reason')).toBe('input.query gives text but retriever.vector takes vector');
    expect(await page.getByTestId('connection-line').getAttribute('data-status')).toBe('invalid');
    // Over a port that takes it, the line is not red and gives no reason.
    const ok = await center(handle('retriever', 'query', 'target'));
    await page.mouse.move(ok.x, ok.y, { steps: 6 });
    await expect.poll(() => page.getByTestId('connection-line').getAttribute('data-status'), POLL).toBe('valid');
    await countOf(page.getByTestId('connection-reason')).toBe(0);
    await page.mouse.move(to.x, to.y, { steps: 6 });
    await page.mouse.up();
    await textOf(page.getByTestId('notice')).toBe('Connection refused: input.query gives text but retriever.vector takes vector');
    // The next edit makes that message stale: it goes.
    await dropKind('embedder', 0.35, 0.75);
    await textOf(page.getByTestId('notice')).toBe('');
  });

  it("moves an edge's end to another port, keeps it when the port refuses, and detaches it on the canvas", async () => {
    // Fresh graph: input -> preprocessor.text; the edge's target end moves to an embedder.
    await newGraph();
    await dropKind('input', 0.12, 0.3);
    await dropKind('preprocessor', 0.45, 0.15);
    await dropKind('embedder', 0.45, 0.55);
    await dropKind('retriever', 0.78, 0.55);
    const a = await center(handle('input', 'query', 'source'));
    const b = await center(handle('preprocessor', 'text', 'target'));
    await page.mouse.move(a.x, a.y);
    await page.mouse.down();
    await page.mouse.move(b.x, b.y, { steps: 10 });
    await page.mouse.up();
    await expect.poll(() => read((s) => s.edges.map((e) => e.id)), POLL).toEqual(['input.query->preprocessor.text']);
    // Grab the edge by its end, just outside the handle, and drop it on the embedder's input.
    const grab = async () => {
      const h = await center(handle('preprocessor', 'text', 'target'));
      await page.mouse.move(h.x - 9, h.y);
      await page.mouse.down();
    };
    await grab();
    const e = await center(handle('embedder', 'text', 'target'));
    await page.mouse.move(e.x, e.y, { steps: 12 });
    await page.mouse.up();
    await expect.poll(() => read((s) => s.edges.map((x) => x.id)), POLL).toEqual(['input.query->embedder.text']);
    // Dropped on a port that refuses it (text into a vector input), the edge stays and the reason shows.
    const h2 = await center(handle('embedder', 'text', 'target'));
    await page.mouse.move(h2.x - 9, h2.y);
    await page.mouse.down();
    const v = await center(handle('retriever', 'vector', 'target'));
    await page.mouse.move(v.x, v.y, { steps: 12 });
    await page.mouse.up();
    await textOf(page.getByTestId('notice')).toContain('gives text but retriever.vector takes vector');
    expect(await read((s) => s.edges.map((x) => x.id))).toEqual(['input.query->embedder.text']);
    // Dropped on empty canvas, it is detached.
    const h3 = await center(handle('embedder', 'text', 'target'));
    await page.mouse.move(h3.x - 9, h3.y);
    await page.mouse.down();
    const empty = await spot(0.45, 0.85);
    await page.mouse.move(empty.x, empty.y, { steps: 12 });
    await page.mouse.up();
    await expect.poll(() => read((s) => s.edges.length), POLL).toBe(0);
    // A detached edge is gone, nothing else: no quick add for the end that stayed.
    expect(await read((s) => s.quickAdd)).toBeNull();
  });

  it('finds a node by label with Ctrl+F and brings it into view, selected, in the inspector', async () => {
    const big = example('document-analysis');
    await openGraph(big);
    await page.getByRole('tab', { name: 'Console' }).click();
    // Zoom out and pan away so the node is off screen.
    await page.evaluate(() => (window as unknown as EditorWindow).beamline.store.getState().flow?.setViewport({ x: -3000, y: -3000, zoom: 0.4 }));
    await onCanvas('Control+f');
    const finder = page.getByRole('dialog', { name: 'Find a node by id or label' });
    await finder.getByRole('textbox').fill('classifier');
    await textOf(finder.locator('.bl-pick').first()).toContain('Document classifier');
    await page.keyboard.press('Enter');
    await countOf(finder).toBe(0);
    expect(await read((s) => s.nodes.filter((n) => n.selected).map((n) => n.id))).toEqual(['classify']);
    await textOf(page.getByTestId('inspector')).toContain('classify');
    // In view, at a readable zoom.
    await expect
      .poll(async () => {
        const n = await node('classify').boundingBox();
        const pane = (await page.locator('.react-flow__pane').boundingBox())!;
        return !!n && n.x > pane.x && n.x + n.width < pane.x + pane.width && n.y > pane.y && n.y + n.height < pane.y + pane.height;
      }, POLL)
      .toBe(true);
    await expect.poll(() => read((s) => s.flow?.getZoom() ?? 0), POLL).toBeGreaterThanOrEqual(1);
  });

  it('shows every shortcut of the command registry on `?`', async () => {
    await onCanvas('?');
    const sheet = page.getByTestId('help-sheet');
    await visible(sheet);
    const rows = await sheet.locator('tr[data-command]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-command'), e.querySelector('.bl-keys')?.textContent]));
    const want = COMMANDS.filter((c) => c.shortcuts?.length).map((c) => [c.id, c.shortcuts!.map((k) => formatShortcut(k, false)).join(' or ')]);
    expect(rows.sort()).toEqual(want.sort());
    await page.keyboard.press('Escape');
    await countOf(sheet).toBe(0);
  });

  it('adds a Markdown note and a group; the frame moves its members, collapses to one box, and both survive save, validate and open', async () => {
    await openGraph(example('rag'));
    // A note from the canvas menu, written in Markdown.
    const at = await spot(0.3, 0.15);
    await page.mouse.click(at.x, at.y, { button: 'right' });
    await menu().locator('[data-command="edit.note"]').click();
    await page.getByLabel('note text (Markdown)').fill('# Retrieval\nThe **embedder** and the index must match: `use-lite`.');
    await page.mouse.click((await spot(0.9, 0.9)).x, (await spot(0.9, 0.9)).y);
    const note = page.getByTestId('note-note');
    await textOf(note.locator('h3')).toBe('Retrieval');
    await textOf(note.locator('strong')).toBe('embedder');
    // Group the embedder and the retriever (Ctrl+click, Ctrl+G), and name the group.
    await node('embed').locator('.bl-node-label').click();
    await node('retrieve').locator('.bl-node-label').click({ modifiers: ['Control'] });
    await onCanvas('Control+g');
    const frame = page.getByTestId('group-group');
    await visible(frame);
    await frame.locator('.bl-group-title').dblclick();
    await page.getByLabel('group title').fill('Retrieval');
    await page.keyboard.press('Enter');
    await textOf(frame.locator('.bl-group-title')).toBe('Retrieval');
    // Dragging the frame by its title moves both members, and nothing else.
    const before = await read((s) => Object.fromEntries(s.nodes.map((n) => [n.id, n.position])));
    // The title bar, right of the title.
    const head = (await frame.locator('.bl-group-head').boundingBox())!;
    const title = { x: head.x + head.width - 12, y: head.y + head.height / 2 };
    await page.mouse.move(title.x, title.y);
    await page.mouse.down();
    await page.mouse.move(title.x + 60, title.y - 80, { steps: 10 });
    await page.mouse.up();
    const after = await read((s) => Object.fromEntries(s.nodes.map((n) => [n.id, n.position])));
    const dx = after.embed.x - before.embed.x;
    const dy = after.embed.y - before.embed.y;
    expect(dx).toBeGreaterThan(20);
    expect(dy).toBeLessThan(-20);
    expect(after.retrieve).toEqual({ x: before.retrieve.x + dx, y: before.retrieve.y + dy });
    expect(after.answer).toEqual(before.answer);
    // Collapsed: one box, members hidden, their edges drawn to the box.
    await frame.getByRole('button', { name: 'collapse group Retrieval' }).click();
    await countOf(node('embed').locator(':visible')).toBe(0);
    await expect.poll(() => page.locator('.react-flow__edge[data-id="retrieve.documents->answer.context"]').isVisible(), POLL).toBe(true);
    expect(await frame.evaluate((el) => el.getBoundingClientRect().height)).toBeLessThan(120);

    // Save, validate with the CLI, and open the file again: note and group come back.
    const [download] = await Promise.all([page.waitForEvent('download'), onCanvas('Control+s')]);
    const file = join(dir, 'annotated.json');
    await download.saveAs(file);
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    expect(doc.notes).toEqual([expect.objectContaining({ id: 'note', text: '# Retrieval\nThe **embedder** and the index must match: `use-lite`.' })]);
    expect(doc.groups).toEqual([{ id: 'group', title: 'Retrieval', nodes: ['embed', 'retrieve'], collapsed: true }]);
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/beamline.js'), 'validate', file], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    await newGraph();
    expect(await read((s) => s.notes.length + s.groups.length)).toBe(0);
    await openGraph(doc, 'annotated.json');
    await visible(page.getByTestId('note-note'));
    await visible(page.getByTestId('group-group'));
    expect(await read((s) => s.exportGraph())).toEqual(doc);
    // Expand again from the right-click menu of the group's box.
    await page.getByTestId('group-group').click({ button: 'right' });
    await menu().locator('[data-command="edit.collapseGroup"]').click();
    await visible(node('embed'));
  });

  it('fixes the small defects: name on Enter with its route, inspector on select, every error with its field, whole messages', async () => {
    await newGraph();
    // Enter commits the name, and the route prefix follows it (until edited).
    await page.locator('#meta-name').fill('summarise');
    await page.locator('#meta-name').press('Enter');
    await textOf(page.getByTestId('graph-name')).toBe('summarise');
    await expect.poll(() => page.locator('#meta-routePrefix').inputValue(), POLL).toBe('/summarise');
    await page.locator('#meta-routePrefix').fill('/api/sum');
    await page.locator('#meta-routePrefix').press('Enter');
    await page.locator('#meta-name').fill('summary');
    await page.locator('#meta-name').press('Enter');
    expect(await read((s) => s.meta)).toMatchObject({ name: 'summary', routePrefix: '/api/sum' });

    // Selecting a node opens the inspector while the console shows.
    await dropKind('embedder', 0.35, 0.3);
    await page.getByRole('tab', { name: 'Console' }).click();
    await visible(page.getByTestId('console'));
    await node('embedder').locator('.bl-node-label').click();
    await visible(page.getByTestId('inspector'));

    // Two errors on one card, each with its field.
    await page.getByTestId('field-deployment.numReplicas').locator('input').fill('0.5');
    await page.getByTestId('field-deployment.numReplicas').locator('input').press('Enter');
    await page.getByTestId('field-deployment.maxOngoingRequests').locator('input').fill('0');
    await page.getByTestId('field-deployment.maxOngoingRequests').locator('input').press('Enter');
    const list = node('embedder').getByTestId('node-error-list').locator('li');
    await expect.poll(async () => (await list.allTextContents()).filter((l) => /^deployment\.(numReplicas|maxOngoingRequests) /.test(l)).length, POLL).toBe(2);
    const lines = await list.allTextContents();
    expect(lines.length).toBe(Number.parseInt((await node('embedder').getByTestId('node-errors').textContent())!, 10));

    // A long message is not cut off: a click shows it whole.
    const long = `Deploy failed: ${'a reason that goes on '.repeat(12)}end.`;
    await page.evaluate((t) => (window as unknown as EditorWindow).beamline.store.getState().notify(t, 'error'), long);
    const notice = page.getByTestId('notice');
    await page.getByRole('button', { name: 'show the whole message' }).click();
    await expect.poll(() => notice.evaluate((el) => el.scrollHeight <= el.clientHeight + 1 && el.scrollWidth <= el.clientWidth + 1), POLL).toBe(true);
    expect(await notice.textContent()).toBe(long);
    await page.getByRole('button', { name: 'dismiss the message' }).click();
    await textOf(notice).toBe('');
  });

  it('shows the LLM fields of the chosen backend, with the true default', async () => {
    await dropKind('llm', 0.7, 0.3);
    await node('llm').locator('.bl-node-label').click();
    const backend = page.getByTestId('field-config.backend').locator('select');
    expect(await backend.locator('option').first().textContent()).toBe('extractive (default)');
    await visible(page.getByTestId('field-config.maxSentences'));
    await countOf(page.getByTestId('field-config.baseUrl')).toBe(0);
    await countOf(page.getByTestId('field-config.topK')).toBe(0);
    await backend.selectOption('openai');
    await visible(page.getByTestId('field-config.baseUrl'));
    await visible(page.getByTestId('field-config.apiKeyEnv'));
    await countOf(page.getByTestId('field-config.maxSentences')).toBe(0);
    await countOf(page.getByTestId('field-config.topK')).toBe(0);
    await backend.selectOption('onnx');
    await visible(page.getByTestId('field-config.topK'));
    await countOf(page.getByTestId('field-config.baseUrl')).toBe(0);
  });

  it('draws a node of a kind the server does not know as a placeholder that keeps its ports, edges and config', async () => {
    const custom = example('custom-node');
    await newGraph();
    await openGraph(custom, 'custom-node.json');
    await visible(node('stats'));
    expect(await node('stats').getAttribute('class')).toContain('placeholder');
    await textOf(node('stats').getByTestId('unknown-kind')).toContain('beamline serve --nodes');
    // Its edges stay drawn, to ports named as in the file.
    await countOf(page.locator('.react-flow__edge')).toBe(3);
    await visible(handle('stats', 'text', 'target'));
    await visible(handle('stats', 'stats', 'source'));
    await node('stats').locator('.bl-node-label').click();
    await textOf(page.getByTestId('unknown-kind')).toContain('serve --nodes');
    // Saved back as it was opened: config, deployment and edges.
    const out = await read((s) => s.exportGraph());
    expect(out.nodes.find((n) => n.id === 'stats')).toEqual(custom.nodes.find((n: { id: string }) => n.id === 'stats'));
    expect(out.edges).toEqual(custom.edges);
  });

  it('picks an image from a file in the console and sends it in the request', async () => {
    const graph = {
      version: 1,
      name: 'image-echo',
      routePrefix: '/image-echo',
      nodes: [
        { id: 'input', kind: 'input', position: { x: 0, y: 0 }, config: { fields: { image: 'image' } } },
        { id: 'output', kind: 'output', position: { x: 300, y: 0 } },
      ],
      edges: [{ source: 'input', sourceHandle: 'image', target: 'output', targetHandle: 'in' }],
    };
    await newGraph();
    await openGraph(graph, 'image-echo.json');
    await page.getByTestId('deploy-button').click();
    await page.getByTestId('deploy-confirm').click();
    await textOf(page.getByTestId('graph-state'), 60_000).toBe('image-echo: RUNNING');
    await page.getByRole('tab', { name: 'Console' }).click();
    const file = join(dir, 'red.png');
    writeFileSync(file, png(4, 3));
    await page.getByLabel('Image for “image”').setInputFiles(file);
    await visible(page.getByTestId('image-image').locator('img'));
    await page.getByRole('button', { name: 'Invoke' }).click();
    await textOf(page.getByTestId('output'), 30_000).toBe(JSON.stringify(`data:image/png;base64,${png(4, 3).toString('base64')}`, null, 2));
  });

  it('logged no error or warning in the browser console', () => {
    expect(consoleErrors).toEqual([]);
  });
});
