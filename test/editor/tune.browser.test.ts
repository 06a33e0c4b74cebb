/**
 * Placement → "Tune for a target" (issue 18, item 5): a graph without a profile asks for one,
 * Profile shows progress and ends in the proposed settings per node, Apply writes them all as
 * one edit, and one undo restores every node. Screenshots to /tmp/shots-tune/ when SHOTS is set.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
import { graph, startServer, until } from '../runtime/helpers.js';
import { NO_CHROMIUM } from '../system-tools.js';
import { type EditorWindow, editorHelpers, ensureEditorBuilt, type Launched, launchChromium, openNewGraph, POLL } from './browser.js';

let server: BeamlineServer;
let chromium: Launched;
let page: Page;
let dataDir: string;
const consoleErrors: string[] = [];
const { textOf, visible, onCanvas } = editorHelpers(() => page);
const SHOTS = process.env.SHOTS;

const doc = graph(
  'tune-browser',
  [
    { id: 'a', kind: 'test-service', config: { ms: 5 } },
    { id: 'b', kind: 'test-service', config: { ms: 20 } },
  ],
  [
    ['input', 'a'],
    ['a', 'b'],
    ['b', 'output'],
  ],
);
doc.nodes.forEach((n, i) => {
  n.position = { x: i * 280, y: 80 };
});

const deployments = () =>
  page.evaluate(() => Object.fromEntries((window as unknown as EditorWindow).beamline.store.getState().nodes.map((n) => [n.id, JSON.stringify(n.data.deployment)])));

beforeAll(async () => {
  if (NO_CHROMIUM) return;
  ensureEditorBuilt();
  dataDir = mkdtempSync(join(tmpdir(), 'beamline-tune-browser-'));
  server = await startServer({ dataDir, cpus: 2 });
  chromium = await launchChromium({ width: 1440, height: 900 });
  page = await chromium.context.newPage();
  // Every error counts, 4xx answers included (Chromium logs them): the panel asks whether a profile exists rather than failing a tune.
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await openNewGraph(page, server.url);
  // The test kinds come from the server's catalog; wait for them before opening the graph.
  await until(() => page.evaluate(() => (window as unknown as EditorWindow).beamline.store.getState().kindMap['test-service'] !== undefined), 'the test kinds in the catalog');
  await page.evaluate((g) => (window as unknown as EditorWindow).beamline.store.getState().load(g as never), doc);
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  await chromium?.close();
  await server?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe.skipIf(NO_CHROMIUM)('Tune for a target', () => {
  it('names a bad field, profiles when asked, proposes settings, applies them as one edit that one undo restores', async () => {
    await page.getByRole('tab', { name: 'Placement' }).click();
    const panel = page.getByTestId('tune');
    await visible(panel);
    await panel.getByLabel('target rate (requests/s)').fill('0');
    await textOf(panel.getByRole('alert')).toContain('Rate: enter the requests per second');
    expect(await panel.getByRole('button', { name: 'Tune' }).isDisabled()).toBe(true);
    await panel.getByLabel('target rate (requests/s)').fill('20');
    await panel.getByLabel('target p99 (ms)').fill('300');
    await panel.getByRole('button', { name: 'Tune' }).click();
    await textOf(page.getByTestId('tune-needs-profile')).toContain('no profile of graph tune-browser');
    const before = await deployments();

    await page.getByTestId('tune-needs-profile').getByRole('button', { name: 'Profile' }).click();
    await textOf(page.getByTestId('tune-profiling')).toMatch(/Measuring/);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'profiling-1440.png') });
    const rows = page.getByTestId('tune-row');
    await expect.poll(() => rows.count(), { timeout: 120_000 }).toBe(2);
    await textOf(page.getByTestId('tune-result')).toMatch(/Predicted p50 .* p99 .* at 20 req\/s/);
    await textOf(page.getByTestId('placement')).toContain('Placement of the proposed settings');
    if (SHOTS) {
      await page.screenshot({ path: join(SHOTS, 'result-1440.png') });
      await page.setViewportSize({ width: 1024, height: 700 });
      await page.screenshot({ path: join(SHOTS, 'result-1024.png') });
      await page.setViewportSize({ width: 1440, height: 900 });
    }
    const proposed = await page.evaluate(async (g) => {
      const r = await fetch('/api/tune', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ graph: g, qps: 20, p99Ms: 300 }) });
      return (await r.json()).settings as Record<string, { numReplicas: number; maxOngoingRequests: number }>;
    }, doc);

    await page.getByTestId('tune-result').getByRole('button', { name: 'Apply' }).click();
    await textOf(page.getByTestId('tune-applied')).toContain('Applied to 2 nodes');
    const after = await deployments();
    for (const id of ['a', 'b']) {
      const d = JSON.parse(after[id]);
      expect(d.numReplicas).toBe(proposed[id].numReplicas);
      expect(d.maxOngoingRequests).toBe(proposed[id].maxOngoingRequests);
    }
    expect(after.a).not.toBe(before.a);
    expect(after.b).not.toBe(before.b);

    // One undo restores both nodes: Apply was one step.
    await onCanvas('Control+z');
    await expect.poll(deployments, POLL).toEqual(before);
    await onCanvas('Control+Shift+z');
    await expect.poll(deployments, POLL).toEqual(after);

    // A target no setting meets: said so, with the best reachable p99 and the ceiling; nothing to apply.
    await panel.getByLabel('target p99 (ms)').fill('0.01');
    await panel.getByRole('button', { name: 'Tune' }).click();
    await textOf(page.getByTestId('tune-unmet')).toMatch(/Cannot meet p99 .*Best reachable p99: [\d.]+ ms; throughput ceiling [\d.]+ req\/s/s);
    expect(await page.getByTestId('tune-result').count()).toBe(0);
    await expect.poll(deployments, POLL).toEqual(after);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'unmet-1440.png') });
    expect(consoleErrors).toEqual([]);
  });
});
