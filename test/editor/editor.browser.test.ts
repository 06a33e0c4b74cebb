/**
 * The editor as a new user meets it: real Chromium against the built editor,
 * served by the real runtime (createServer), which also deploys and runs the graph.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestCommand } from '../../runtime/cli/ingest.js';
import { type BeamlineServer, createServer } from '../../runtime/server/index.js';
import { type EditorWindow, editorHelpers, ensureEditorBuilt, type Launched, launchChromium, POLL, ROOT, openNewGraph } from './browser.js';
import { NO_CHROMIUM } from '../system-tools.js';

let server: BeamlineServer;
let chromium: Launched;
let page: Page;
let dataDir: string;

interface Snapshot {
  nodes: { id: string; kind: string; x: number; y: number; deployment: Record<string, unknown> }[];
  edges: { source: string; sourceHandle: string; target: string; targetHandle: string }[];
  errors: { code: string; node?: string; path: string }[];
}
const snapshot = (): Promise<Snapshot> =>
  page.evaluate(() => {
    const s = (window as unknown as EditorWindow).beamline.store.getState();
    return {
      nodes: s.nodes.map((n) => ({ id: n.id, kind: n.data.kind, x: n.position.x, y: n.position.y, deployment: n.data.deployment })),
      edges: s.edges.map((e) => ({ source: e.source, sourceHandle: e.sourceHandle!, target: e.target, targetHandle: e.targetHandle! })),
      errors: s.errors,
    };
  });

const { node, handle, dragHandle, dropKind, setField, visible, textOf, countOf, onCanvas } = editorHelpers(() => page);

beforeAll(async () => {
  if (NO_CHROMIUM) return;
  ensureEditorBuilt();
  dataDir = mkdtempSync(join(tmpdir(), 'beamline-editor-test-'));
  // The RAG example's retriever reads an index built from its docs, as `beamline ingest` does.
  const log = console.log;
  console.log = () => {};
  const rc = await ingestCommand(join(ROOT, 'examples/rag/graph.json'), { dataDir, modelsDir: join(ROOT, 'models'), batchSize: '32', json: true });
  console.log = log;
  expect(rc).toBe(0);
  // The custom-node example's kind joins the catalog, as `beamline serve --nodes` does.
  server = await createServer({ port: 0, cpus: 8, memoryMb: 16_000, dataDir, nodes: [join(ROOT, 'examples/custom-node/nodes/word-stats.ts')], log: () => {} });
  chromium = await launchChromium();
  page = await chromium.context.newPage();
  // Nothing is deployed: the editor opens on the Deployments view; start a new graph from there.
  await openNewGraph(page, server.url);
});

afterAll(async () => {
  await chromium?.close();
  await server?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe.skipIf(NO_CHROMIUM)('editor in Chromium', () => {
  it('lists every catalog kind in the palette, grouped and searchable', async () => {
    const kinds = await page.locator('.bl-palette-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    expect(kinds).toEqual(expect.arrayContaining(['input', 'output', 'embedder', 'retriever', 'llm', 'switch', 'custom']));
    await page.getByLabel('Search nodes').fill('cosine');
    expect(await page.locator('.bl-palette-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')))).toEqual(['retriever']);
    await page.getByLabel('Search nodes').fill('');
  });

  it('builds a graph by drag and drop, refusing an incompatible connection with a reason', async () => {
    await dropKind('input', 150, 150);
    await dropKind('embedder', 450, 150);
    await dropKind('retriever', 150, 450);
    await dropKind('output', 450, 450);
    let s = await snapshot();
    expect(s.nodes.map((n) => n.kind)).toEqual(['input', 'embedder', 'retriever', 'output']);
    // Nothing connected yet: the compiler's errors show on the nodes that need inputs.
    await expect.poll(async () => (await snapshot()).errors.some((e) => e.code === 'input_unconnected' && e.node === 'embedder'), POLL).toBe(true);
    await countOf(node('embedder').getByTestId('node-errors')).toBe(1);

    await dragHandle(handle('input', 'query', 'source'), handle('embedder', 'text', 'target'));
    // text -> vector is refused, and the user is told why.
    await dragHandle(handle('input', 'query', 'source'), handle('retriever', 'vector', 'target'));
    await textOf(page.getByTestId('notice')).toContain('gives text but retriever.vector takes vector');
    await dragHandle(handle('embedder', 'vector', 'source'), handle('retriever', 'vector', 'target'));
    await dragHandle(handle('retriever', 'documents', 'source'), handle('output', 'in', 'target'));
    s = await snapshot();
    expect(s.edges).toEqual([
      { source: 'input', sourceHandle: 'query', target: 'embedder', targetHandle: 'text' },
      { source: 'embedder', sourceHandle: 'vector', target: 'retriever', targetHandle: 'vector' },
      { source: 'retriever', sourceHandle: 'documents', target: 'output', targetHandle: 'in' },
    ]);
    // A cycle is refused too.
    await dragHandle(handle('retriever', 'documents', 'source'), handle('embedder', 'text', 'target'));
    expect((await snapshot()).edges).toHaveLength(3);
    await textOf(page.getByTestId('error-count')).toBe('valid');
  });

  it('edits replicas and GPU share in the generated inspector, shows inline errors, undoes and redoes', async () => {
    await node('embedder').click();
    await textOf(page.getByTestId('inspector')).toContain('Embedder');
    await setField('deployment.numReplicas', '3');
    await setField('deployment.resources.gpus', '0.5');
    await textOf(node('embedder').getByTestId('badge')).toBe('3× · 1 CPU · 0.5 GPU · batch 32');

    // 1.5 GPUs is not whole: the compiler's error appears on the field and on the node.
    await setField('deployment.resources.gpus', '1.5');
    await textOf(page.getByTestId('field-deployment.resources.gpus')).toContain('above 1 but not whole');
    await visible(node('embedder').getByTestId('node-errors'));

    await onCanvas('Control+z');
    await textOf(node('embedder').getByTestId('badge')).toBe('3× · 1 CPU · 0.5 GPU · batch 32');
    await textOf(page.getByTestId('field-deployment.resources.gpus')).not.toContain('not whole');
    await onCanvas('Control+z');
    await textOf(node('embedder').getByTestId('badge')).toBe('3× · 1 CPU · batch 32');
    await onCanvas('Control+Shift+z');
    await textOf(node('embedder').getByTestId('badge')).toBe('3× · 1 CPU · 0.5 GPU · batch 32');
    expect((await snapshot()).nodes.find((n) => n.id === 'embedder')!.deployment).toEqual({ numReplicas: 3, resources: { gpus: 0.5 } });
  });

  it('previews placement on N GPUs with what stays PENDING', async () => {
    await page.getByRole('tab', { name: 'Placement' }).click();
    await page.getByLabel('number of GPUs').fill('1');
    await countOf(page.getByTestId('gpu-bar')).toBe(1);
    await textOf(page.getByTestId('gpu-bar')).toContain('embedder#0');
    await textOf(page.getByTestId('gpu-bar')).toContain('embedder#1');
    await textOf(page.getByTestId('pending')).toContain('embedder#2');
    await page.getByLabel('number of GPUs').fill('2');
    await countOf(page.getByTestId('gpu-bar')).toBe(2);
    await countOf(page.getByTestId('pending')).toBe(0);
    // The preview follows the graph: undoing the GPU share takes the replicas off the GPUs.
    await onCanvas('Control+z');
    await textOf(page.getByTestId('placement')).not.toContain('embedder#0');
    await onCanvas('Control+Shift+z');
    await textOf(page.getByTestId('placement')).toContain('embedder#0');
    await page.getByRole('tab', { name: 'Inspector' }).click();
  });

  it('makes a drag one undo step, and auto-layouts left to right', async () => {
    const before = (await snapshot()).nodes.find((n) => n.id === 'output')!;
    const box = (await node('output').locator('.bl-node-label').boundingBox())!;
    await page.mouse.move(box.x + 5, box.y + 5);
    await page.mouse.down();
    await page.mouse.move(box.x + 60, box.y + 120, { steps: 10 });
    await page.mouse.up();
    const moved = (await snapshot()).nodes.find((n) => n.id === 'output')!;
    expect(moved.y).not.toBe(before.y);
    await onCanvas('Control+z');
    const back = (await snapshot()).nodes.find((n) => n.id === 'output')!;
    expect({ x: back.x, y: back.y }).toEqual({ x: before.x, y: before.y });

    await onCanvas('Shift+L');
    const xs = Object.fromEntries((await snapshot()).nodes.map((n) => [n.id, n.x]));
    expect(xs.input).toBeLessThan(xs.embedder);
    expect(xs.embedder).toBeLessThan(xs.retriever);
    expect(xs.retriever).toBeLessThan(xs.output);
  });

  it('quick-adds a node at the cursor with Ctrl+K, and copies and pastes it as graph JSON', async () => {
    const pane = page.locator('.react-flow__pane');
    const box = (await pane.boundingBox())!;
    await page.mouse.move(box.x + 200, box.y + box.height - 120);
    await onCanvas('Control+k');
    await page.getByRole('dialog', { name: 'Add node' }).getByRole('textbox').fill('rerank');
    await page.keyboard.press('Enter');
    await visible(node('reranker'));
    // Copy goes through the clipboard as graph JSON, so a paste works in another tab too.
    const copied = (await page.evaluate(() => (window as unknown as EditorWindow).beamline.store.getState().copySelection()))!;
    expect(JSON.parse(copied).nodes.map((n: { kind: string }) => n.kind)).toEqual(['reranker']);
    await onCanvas('Control+d');
    await visible(node('reranker_2'));
    // The pasted copy is selected; Ctrl+click adds the original, Delete removes both in one step.
    const label = (await node('reranker').locator('.bl-node-head').boundingBox())!;
    await page.keyboard.down('Control');
    await page.mouse.click(label.x + 20, label.y + 5);
    await page.keyboard.up('Control');
    await expect.poll(() => page.evaluate(() => (window as unknown as EditorWindow).beamline.store.getState().nodes.filter((n) => n.selected).length), POLL).toBe(2);
    await onCanvas('Delete');
    await countOf(page.locator('[data-testid^="node-reranker"]')).toBe(0);
    expect((await snapshot()).nodes.map((n) => n.id)).toEqual(['input', 'embedder', 'retriever', 'output']);
  });

  it('exports exactly the file format, which `beamline validate` accepts', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), onCanvas('Control+s')]);
    const file = join(dataDir, 'exported.json');
    await download.saveAs(file);
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    expect(Object.keys(doc).sort()).toEqual(['edges', 'name', 'nodes', 'routePrefix', 'version']);
    expect(Object.keys(doc.nodes[0]).sort()).toEqual(['config', 'deployment', 'id', 'kind', 'label', 'position']);
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/beamline.js'), 'validate', file], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr + r.stdout).not.toMatch(/error/i);
    expect(r.status).toBe(0);

    // New, then open the exported file through the file picker: the same graph comes back.
    await page.locator('summary', { hasText: 'File' }).click();
    await page.locator('[data-command="file.new"]').click();
    expect((await snapshot()).nodes).toEqual([]);
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), onCanvas('Control+o')]);
    await chooser.setFiles(file);
    await expect.poll(async () => (await snapshot()).nodes.map((n) => n.id), POLL).toEqual(['input', 'embedder', 'retriever', 'output']);
    const again = await page.evaluate(() => (window as unknown as EditorWindow).beamline.store.getState().exportGraph());
    expect(again).toEqual(doc);

    // Dropping a .json file on the page opens it too; a file that is not a graph is refused with a reason.
    const drop = async (name: string, text: string) => {
      const dt = await page.evaluateHandle(([n, t]) => {
        const d = new DataTransfer();
        d.items.add(new File([t], n, { type: 'application/json' }));
        return d;
      }, [name, text] as const);
      await page.dispatchEvent('.bl-app', 'drop', { dataTransfer: dt });
    };
    await drop('notes.json', '{"hello": 1}');
    await textOf(page.getByTestId('notice')).toContain('notes.json is not a Beamline graph');
    await drop('rag.json', readFileSync(join(ROOT, 'examples/rag/graph.json'), 'utf8'));
    await textOf(page.getByTestId('graph-name')).toBe('rag');
    await drop('again.json', JSON.stringify(doc));
    await textOf(page.getByTestId('graph-name')).toBe(doc.name);

    // A Ray Serve config opens as a graph too: export the RAG example with the CLI, drop its YAML.
    const out = mkdtempSync(join(tmpdir(), 'beamline-editor-serve-'));
    const ex = spawnSync(process.execPath, [join(ROOT, 'bin/beamline.js'), 'export', join(ROOT, 'examples/rag/graph.json'), '--target', 'serve-config', '-o', out], { cwd: ROOT, encoding: 'utf8' });
    expect(ex.status, ex.stderr).toBe(0);
    await drop('serve-config.yaml', readFileSync(join(out, 'serve-config.yaml'), 'utf8'));
    await textOf(page.getByTestId('graph-name')).toBe('rag');
    expect((await snapshot()).nodes.map((n) => n.id).sort()).toEqual(['answer', 'embed', 'input', 'output', 'preprocess', 'retrieve']);
    await drop('broken.yaml', 'applications: [1, 2');
    await textOf(page.getByTestId('notice')).toContain('broken.yaml is not a Ray Serve config');
    rmSync(out, { recursive: true, force: true });
    // Later steps go on from the exported graph.
    await drop('again.json', JSON.stringify(doc));
    await textOf(page.getByTestId('graph-name')).toBe(doc.name);
  });

  it('runs any command from the command palette', async () => {
    await onCanvas('Control+Shift+P');
    const dialog = page.getByRole('dialog', { name: 'Run a command' });
    await dialog.getByRole('textbox').fill('placement');
    await page.keyboard.press('Enter');
    await visible(page.getByTestId('placement'));
    await page.getByRole('tab', { name: 'Inspector' }).click();
  });

  it('works from the keyboard, with a label on every input', async () => {
    // A palette entry is a button: Enter adds its kind at the centre of the canvas.
    await page.locator('.bl-palette-item[data-kind="ner"]').focus();
    await page.keyboard.press('Enter');
    await visible(node('ner'));
    await onCanvas('Delete');
    await countOf(node('ner')).toBe(0);
    // Menus open from the keyboard too.
    await page.locator('summary', { hasText: 'View' }).focus();
    await page.keyboard.press('Enter');
    await visible(page.locator('[data-command="view.layout"]'));
    await page.keyboard.press('Escape');
    await countOf(page.locator('[data-command="view.layout"]:visible')).toBe(0);
    // Every form control in the side panel and palette has a label, for the embedder's full form.
    await node('embedder').locator('.bl-node-label').click();
    await page.getByTestId('field-deployment.autoscaling').getByRole('checkbox').check();
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLInputElement>('.bl-side input, .bl-side select, .bl-side textarea, .bl-palette input')]
        .filter((el) => !(el.labels?.length || el.getAttribute('aria-label')))
        .map((el) => el.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    expect(await page.getByTestId('inspector').locator('input').count()).toBeGreaterThan(15);
    await onCanvas('Control+z');
    await textOf(page.getByTestId('error-count')).toBe('valid');
  });

  it('shows the errors the server finds before a deploy, and deploys nothing', async () => {
    await node('embedder').locator('.bl-node-label').click();
    await setField('deployment.resources.gpus', '1.5');
    await page.getByTestId('deploy-button').click();
    // The deploy dialog asks the server first (POST /api/graphs/preview): its errors block the deploy.
    await textOf(page.getByTestId('deploy-errors')).toContain('$.nodes[1].deployment.resources.gpus');
    expect(await page.getByTestId('deploy-confirm').isDisabled()).toBe(true);
    const refused = await page.evaluate(() => (window as unknown as EditorWindow).beamline.store.getState().serverErrors);
    expect(refused.map((e) => `${e.code} ${e.node} ${e.path}`)).toEqual(['gpu_not_whole embedder $.nodes[1].deployment.resources.gpus']);
    await page.keyboard.press('Escape');
    await countOf(page.getByTestId('deploy-dialog')).toBe(0);
    await textOf(node('embedder').getByTestId('node-errors')).toBe('1 ⚠');
    expect((await (await fetch(`${server.url}/api/deployments`)).json()).deployments).toEqual([]);
    await onCanvas('Control+z');
    await textOf(page.getByTestId('error-count')).toBe('valid');
    await countOf(node('embedder').getByTestId('node-errors')).toBe(0);
  });

  it('puts custom kinds from the runtime in the palette, with a generated form checked against their schema', async () => {
    await visible(page.locator('.bl-palette-item[data-kind="word-stats"]'));
    await onCanvas('Control+e');
    await page.locator('[data-example="custom-node"]').click();
    await visible(node('stats'));
    await textOf(node('stats').locator('.bl-node-head')).toContain('Word statistics');
    await node('stats').locator('.bl-node-label').click();
    await textOf(page.getByTestId('field-config.top')).toContain('How many frequent words to list.');
    await setField('config.top', '0');
    await textOf(page.getByTestId('field-config.top')).toContain('>=1');
    await onCanvas('Control+z');
    await textOf(page.getByTestId('error-count')).toBe('valid');
  });

  it('opens the RAG example, deploys it, invokes it from the console and shows every node finish', { timeout: 240_000 }, async () => {
    await onCanvas('Control+e');
    await page.locator('[data-example="rag"]').click();
    await visible(node('retrieve'));
    await page.getByTestId('deploy-button').click();
    await textOf(page.getByTestId('deploy-capacity')).toContain('Every replica fits');
    await page.getByTestId('deploy-confirm').click();
    await textOf(page.getByTestId('graph-state'), 120_000).toBe('rag: RUNNING');
    await textOf(page.getByTestId('deploy-state')).toContain('4/4 replicas running');
    await page.getByLabel('Input (text, or a JSON body)').fill('What limits what fits on one GPU?');
    await page.getByRole('button', { name: 'Invoke' }).click();
    await textOf(page.getByTestId('output'), 60_000).toContain('"answer"');
    for (const id of ['input', 'preprocess', 'embed', 'retrieve', 'answer', 'output']) await expect.poll(() => node(id).getAttribute('data-run'), POLL).toBe('done');
    await countOf(page.getByTestId('run-nodes').locator('li')).toBe(6);
    // The answerer's tokens streamed into the console and add up to the final answer.
    const answer = JSON.parse((await page.getByTestId('output').textContent())!).answer as string;
    await textOf(page.getByTestId('tokens')).toBe(answer);
    await countOf(page.getByTestId('trace').locator('.bl-span')).toBe(6);
    // Live status from the subscription reaches the nodes: replicas by state and latency.
    await textOf(node('embed').getByTestId('live')).toContain('1 running');
    await textOf(node('embed').getByTestId('live')).toContain('p50');
    // The README's screenshot: a wider window so the whole graph reads at a useful zoom.
    await page.setViewportSize({ width: 1680, height: 900 });
    // The palette folded away: the graph fits at a zoom where cards are drawn in full.
    await page.getByTestId('collapse-palette').click();
    await page.getByRole('button', { name: 'Fit View' }).click();
    await page.waitForTimeout(300);
    // Written to docs/ only on request (UPDATE_SCREENSHOT=1), so a test run never edits tracked files.
    await page.screenshot({ path: process.env.UPDATE_SCREENSHOT ? join(ROOT, 'docs/editor.png') : join(tmpdir(), 'beamline-editor.png') });
  });
});
