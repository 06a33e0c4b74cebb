/**
 * The editor as the live workspace of a running server, tried as a new user would:
 * real Chromium, the built editor, the real runtime serving the RAG example at start
 * (as `npm start` does) on a machine declared with 4 CPUs.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestCommand } from '../../runtime/cli/ingest.js';
import { type BeamlineServer, createServer } from '../../runtime/server/index.js';
import { NO_CHROMIUM } from '../system-tools.js';
import { type EditorWindow, editorHelpers, ensureEditorBuilt, type Launched, launchChromium, POLL, ROOT } from './browser.js';

let server: BeamlineServer;
let chromium: Launched;
let page: Page;
let dataDir: string;
/** Everything the page logged as an error, over the whole file: it must stay empty. */
const consoleErrors: string[] = [];

const { node, handle, dragHandle, dropKind, setField, visible, textOf, countOf, onCanvas, zoomInOn } = editorHelpers(() => page);
const store = <T>(read: string): Promise<T> => page.evaluate(`(() => { const s = window.beamline.store.getState(); return ${read}; })()`) as Promise<T>;
const topK = () => page.evaluate(() => (window as unknown as EditorWindow).beamline.store.getState().nodes.find((n) => n.id === 'retrieve')?.data.config.topK);
const api = async (path: string) => (await fetch(`${server.url}${path}`)).json();
const tab = (name: string) => page.getByRole('tab', { name }).click();

beforeAll(async () => {
  if (NO_CHROMIUM) return;
  ensureEditorBuilt();
  dataDir = mkdtempSync(join(tmpdir(), 'beamline-workspace-test-'));
  const log = console.log;
  console.log = () => {};
  const rc = await ingestCommand(join(ROOT, 'examples/rag/graph.json'), { dataDir, modelsDir: join(ROOT, 'models'), batchSize: '32', json: true });
  console.log = log;
  expect(rc).toBe(0);
  // `npm start`: the RAG example deployed at start. 4 CPUs, of which the RAG graph holds 1.75.
  const rag = JSON.parse(readFileSync(join(ROOT, 'examples/rag/graph.json'), 'utf8'));
  server = await createServer({ port: 0, cpus: 4, memoryMb: 16_000, dataDir, graphs: [{ graph: rag, dir: join(ROOT, 'examples/rag') }], log: () => {} });
  chromium = await launchChromium();
  page = await chromium.context.newPage();
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
}, 240_000);

afterAll(async () => {
  await chromium?.close();
  await server?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe.skipIf(NO_CHROMIUM)('the editor as the workspace of a running server', () => {
  it('(a) opens the one served graph attached and RUNNING, without deploying it', async () => {
    await page.goto(server.url);
    await textOf(page.getByTestId('graph-state'), 60_000).toBe('rag: RUNNING');
    await textOf(page.getByTestId('deployed-version')).toBe('deployed v1');
    await textOf(page.getByTestId('graph-name')).toBe('rag');
    await textOf(node('embed').getByTestId('live')).toContain('1 running');
    await countOf(page.getByTestId('unsaved')).toBe(0);
    // Nothing was redeployed to watch it: still one version.
    expect((await api('/api/graphs/rag/versions')).versions).toHaveLength(1);
    // The Deployments view lists it with its live figures.
    await page.getByTestId('home-button').click();
    const row = page.getByTestId('deployment-rag');
    await textOf(row).toContain('RUNNING');
    await textOf(row).toContain('4/4');
    await textOf(row).toContain('/rag');
    await row.getByRole('button', { name: 'Open' }).click();
    await countOf(page.getByTestId('home')).toBe(0);
  });

  it("(f) shows the retriever's whole output, keeps a run history and re-runs a run from it", { timeout: 120_000 }, async () => {
    await tab('Console');
    const input = page.getByLabel('Input (text, or a JSON body)');
    await input.fill('What limits what fits on one GPU?');
    await page.getByRole('button', { name: 'Invoke' }).click();
    await textOf(page.getByTestId('output'), 60_000).toContain('"answer"');
    await page.getByTestId('run-nodes').getByRole('button', { name: 'open the output of retrieve' }).click();
    const view = page.getByTestId('output-view');
    await countOf(view.locator('.bl-doc')).toBe(3);
    // Each document whole (the event preview stops at 200 characters), with its source file and score.
    const docs = await view.locator('.bl-doc').evaluateAll((els) =>
      els.map((e) => ({ source: e.querySelector('[data-testid="doc-source"]')?.textContent ?? '', text: e.querySelector('.bl-doc-text')?.textContent ?? '', score: e.querySelector('.bl-doc-score')?.textContent ?? '' })),
    );
    const flat = (t: string) => t.replace(/\s+/g, ' ').trim();
    expect(docs.some((d) => d.text.length > 200)).toBe(true);
    for (const d of docs) {
      expect(d.score).toMatch(/^score \d\.\d{4}$/);
      expect(flat(readFileSync(join(ROOT, 'examples/rag/docs', d.source), 'utf8'))).toContain(flat(d.text).slice(0, 150));
    }
    await textOf(view.getByTestId('output-json')).toContain('documents');
    await page.keyboard.press('Escape');
    await countOf(view).toBe(0);

    await input.fill('How does batching work?');
    await page.getByRole('button', { name: 'Invoke' }).click();
    const history = page.getByTestId('history').locator('li');
    await countOf(history).toBe(2);
    // Re-open the first run: its input and output come back.
    await history.nth(1).locator('.bl-history-open').click();
    await expect.poll(() => input.inputValue(), POLL).toBe('What limits what fits on one GPU?');
    await textOf(page.getByTestId('output')).toContain('"answer"');
    // Re-run it: a third run with the same input, answered again.
    await history.nth(1).getByRole('button', { name: /^run again/ }).click();
    await countOf(history).toBe(3);
    await textOf(history.first(), 60_000).toContain('What limits what fits on one GPU?');
    await textOf(history.first()).toContain('ok');
  });

  it("warns on a retriever whose index is missing, before any deploy, and builds it from the retriever's docs", { timeout: 120_000 }, async () => {
    await tab('Indexes');
    await page.getByTestId('index-list').getByRole('button', { name: 'delete index rag' }).click();
    await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Delete' }).click();
    const missing = node('retrieve').getByTestId('index-missing');
    await textOf(missing).toContain('Index rag does not exist');
    // At fit view the card is simplified and says so in its status; zoomed in, it offers the fix.
    await textOf(node('retrieve').getByTestId('simple-status')).toBe('⚠ no index');
    await zoomInOn(node('retrieve'));
    await missing.getByRole('button', { name: 'Build from docs' }).click();
    await countOf(missing).toBe(0);
    await textOf(page.getByTestId('index-list').locator('[data-index="rag"]'), 60_000).toContain('12 files · 24 chunks');
  });

  it('(e) deploys an edit after showing its diff, and a rollback puts the rolled-back version on the canvas', { timeout: 180_000 }, async () => {
    await tab('Inspector');
    await node('retrieve').locator('.bl-node-label').click();
    await setField('config.topK', '5');
    await textOf(page.getByTestId('deployed-version')).toBe('deployed v1 · modified');
    await visible(page.getByTestId('unsaved'));
    await page.getByTestId('deploy-button').click();
    const change = page.getByTestId('deploy-dialog').locator('[data-change="retrieve.config.topK"]');
    await textOf(change).toContain('35');
    await page.getByTestId('deploy-confirm').click();
    await textOf(page.getByTestId('notice'), 120_000).toContain('Deployed rag v2');
    await textOf(page.getByTestId('deployed-version')).toBe('deployed v2');
    await countOf(page.getByTestId('unsaved')).toBe(0);

    await tab('Versions');
    const versions = page.getByTestId('versions');
    await textOf(versions).toContain('v2 (active)');
    // Two versions side by side, with the same diff.
    await versions.getByLabel('first version').selectOption('1');
    await versions.getByLabel('second version').selectOption('2');
    await versions.getByRole('button', { name: 'Compare' }).click();
    await textOf(page.getByTestId('compare-dialog').locator('[data-change="retrieve.config.topK"]')).toContain('35');
    await page.keyboard.press('Escape');

    await versions.locator('[data-version="1"]').getByRole('button', { name: 'Roll back' }).click();
    await textOf(page.getByTestId('notice'), 120_000).toContain('Rolled rag back to v1 (now v3)');
    expect(await topK()).toBe(3);
    await textOf(page.getByTestId('deployed-version')).toBe('deployed v3');
    await countOf(page.getByTestId('unsaved')).toBe(0);
  });

  it('(d) asks before dropping unsaved edits, asks on reload, and offers the draft back', { timeout: 120_000 }, async () => {
    await tab('Inspector');
    await node('retrieve').locator('.bl-node-label').click();
    await setField('config.topK', '4');
    await visible(page.getByTestId('unsaved'));
    // New asks first; keeping the edits keeps them.
    await page.locator('summary', { hasText: 'File' }).click();
    await page.locator('[data-command="file.new"]').click();
    await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Keep editing' }).click();
    expect(await topK()).toBe(4);

    // Reload: the browser's leave-page prompt, then the draft is offered back.
    const prompts: string[] = [];
    page.once('dialog', (d) => {
      prompts.push(d.type());
      void d.accept();
    });
    await page.waitForTimeout(800); // the autosave debounce
    await page.reload();
    expect(prompts).toEqual(['beforeunload']);
    await textOf(page.getByTestId('graph-state'), 60_000).toBe('rag: RUNNING');
    expect(await topK()).toBe(3);
    await textOf(page.getByTestId('draft-offer')).toContain('rag');
    await page.getByTestId('draft-offer').getByRole('button', { name: 'Restore draft' }).click();
    expect(await topK()).toBe(4);
    await visible(page.getByTestId('unsaved'));
    await textOf(page.getByTestId('deployed-version')).toBe('deployed v3 · modified');

    // Loading an example asks too; discarding drops the edits (and the draft).
    await onCanvas('Control+e');
    await page.locator('[data-example="rag"]').click();
    await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Discard changes' }).click();
    await expect.poll(topK, POLL).toBe(3);
    await countOf(page.getByTestId('unsaved')).toBe(0);
    expect(await store<number>("JSON.parse(localStorage.getItem('beamline.drafts.v1') ?? '[]').length")).toBe(0);
  });

  it('(b, c) builds a RAG graph with its own index from uploaded files, shows what would stay PENDING before deploying, deploys it and cites a file', { timeout: 240_000 }, async () => {
    await page.locator('summary', { hasText: 'File' }).click();
    await page.locator('[data-command="file.new"]').click();
    await countOf(page.locator('.react-flow__node')).toBe(0);
    await tab('Inspector');
    await dropKind('input', 110, 150);
    await dropKind('embedder', 350, 100);
    await dropKind('retriever', 600, 120);
    await dropKind('llm', 350, 420);
    await dropKind('output', 620, 480);
    await dragHandle(handle('input', 'query', 'source'), handle('embedder', 'text', 'target'));
    await dragHandle(handle('embedder', 'vector', 'source'), handle('retriever', 'vector', 'target'));
    await dragHandle(handle('retriever', 'documents', 'source'), handle('llm', 'context', 'target'));
    await dragHandle(handle('input', 'query', 'source'), handle('llm', 'prompt', 'target'));
    await dragHandle(handle('llm', 'result', 'source'), handle('output', 'in', 'target'));
    await expect.poll(() => store<number>('s.edges.length'), POLL).toBe(5);
    await page.getByRole('button', { name: 'Fit View' }).click();
    await node('retriever').locator('.bl-node-label').click();
    await setField('config.index', 'mine');
    await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } });
    await page.locator('#meta-name').fill('mine');
    await page.locator('#meta-routePrefix').fill('/mine');
    await page.locator('#meta-routePrefix').blur();
    await textOf(page.getByTestId('graph-name')).toBe('mine');
    await textOf(page.getByTestId('error-count')).toBe('valid');

    // The index does not exist: a warning on the retriever, before any deploy, with a way to build it.
    const missing = node('retriever').getByTestId('index-missing');
    await textOf(missing).toContain('Index mine does not exist');
    await missing.getByRole('button', { name: 'Upload files…' }).click();
    await expect.poll(() => page.locator('#index-name').inputValue(), POLL).toBe('mine');
    const files = mkdtempSync(join(tmpdir(), 'beamline-upload-'));
    writeFileSync(join(files, 'zebras.md'), '# Zebras\n\nZebras are African equines with distinctive black and white striped coats. Each zebra has its own pattern of stripes, like a fingerprint.\n');
    writeFileSync(join(files, 'lighthouses.md'), '# Lighthouses\n\nA lighthouse is a tower with a bright lamp that guides ships at night. The Fresnel lens made lighthouse beams visible far out at sea.\n');
    await page.locator('#index-files').setInputFiles([join(files, 'zebras.md'), join(files, 'lighthouses.md')]);
    await countOf(page.getByTestId('staged-files').locator('li')).toBe(2);
    await page.getByRole('button', { name: 'Upload and build' }).click();
    const progress = page.getByTestId('indexes').getByTestId('ingest-progress');
    await expect.poll(() => progress.getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
    await textOf(progress.getByTestId('ingest-percent')).toBe('100 %');
    await textOf(page.getByTestId('index-list').locator('[data-index="mine"]')).toContain('2 files');
    await countOf(missing).toBe(0);
    rmSync(files, { recursive: true, force: true });

    // (c) The RAG graph holds 1.75 of the 4 CPUs: the dialog names what would stay PENDING, and why, before anything starts.
    await page.getByTestId('deploy-button').click();
    const pending = page.getByTestId('deploy-pending');
    await textOf(pending).toMatch(/needs 1 CPU/);
    expect(await pending.locator('li').count()).toBeGreaterThan(0);
    expect((await api('/api/deployments')).deployments.map((d: { name: string }) => d.name)).toEqual(['rag']);
    await page.getByTestId('deploy-dialog').getByRole('button', { name: 'Cancel' }).click();

    // Stop rag from the Deployments view; now everything fits.
    await page.getByTestId('home-button').click();
    await page.getByTestId('deployment-rag').getByRole('button', { name: 'Stop' }).click();
    await countOf(page.getByTestId('deployment-rag')).toBe(0);
    await page.getByTestId('home').getByRole('button', { name: 'Back to the canvas' }).click();
    await page.getByTestId('deploy-button').click();
    await textOf(page.getByTestId('deploy-capacity')).toContain('Every replica fits');
    await page.getByTestId('deploy-confirm').click();
    await textOf(page.getByTestId('graph-state'), 120_000).toBe('mine: RUNNING');

    // (b) The answer comes from an uploaded file and cites it.
    await tab('Console');
    await page.getByLabel('Input (text, or a JSON body)').fill('What guides ships at night?');
    await page.getByRole('button', { name: 'Invoke' }).click();
    await textOf(page.getByTestId('output'), 60_000).toContain('lighthouses.md');
    await textOf(page.getByTestId('output')).toContain('lighthouse');
  });

  it('logged no error in the browser console', () => {
    expect(consoleErrors).toEqual([]);
  });
});
