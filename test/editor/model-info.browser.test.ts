/**
 * The inspector shows what a model node would do with its model folder (issue 19 §4): the
 * server's `models inspect` report, and the reason and fix when the folder does not fit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type BeamlineServer, createServer } from '../../runtime/server/index.js';
import { NO_CHROMIUM } from '../system-tools.js';
import { type EditorWindow, editorHelpers, ensureEditorBuilt, type Launched, launchChromium, openNewGraph } from './browser.js';

let server: BeamlineServer;
let chromium: Launched;
let page: Page;
let dataDir: string;
const { dropKind, setField, textOf } = editorHelpers(() => page);

beforeAll(async () => {
  if (NO_CHROMIUM) return;
  ensureEditorBuilt();
  dataDir = mkdtempSync(join(tmpdir(), 'beamline-model-info-'));
  server = await createServer({ port: 0, cpus: 4, memoryMb: 8_000, dataDir, log: () => {} });
  chromium = await launchChromium();
  page = await chromium.context.newPage();
  await openNewGraph(page, server.url);
});

afterAll(async () => {
  await chromium?.close();
  await server?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe.skipIf(NO_CHROMIUM)('model folder in the inspector', () => {
  it('shows the folder report for the node kind, then the reason and the fix when another folder does not fit', async () => {
    await dropKind('embedder', 300, 200);
    await page.evaluate(() => {
      const s = (window as unknown as EditorWindow).beamline.store.getState();
      s.select([s.nodes[0].id]);
    });
    const info = page.getByTestId('model-info');
    await textOf(info).toContain('embedder:         fits: uses its pooled output sentence_embedding float32 [batch, 100] as is: 100 dimensions');
    await textOf(info).toContain('tokenizer: WordPiece');
    await setField('config.model', 'builtin:vader-sentiment');
    await textOf(info).toContain("cannot work as an embedder: it outputs logits [batch, 2], a classifier's output");
    await textOf(info).toContain('fix: export the base model for feature extraction');
  });
});
