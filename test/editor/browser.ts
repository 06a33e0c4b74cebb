/** Helpers for the editor's browser tests and bench: Debian's Chromium and a static server for dist/editor. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { EditorState } from '../../editor/store/graph.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const DIST = join(ROOT, 'dist/editor');

export interface Launched {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Chromium with a fresh profile directory, removed on close; `colorScheme` is what `prefers-color-scheme` answers. */
export async function launchChromium(viewport = { width: 1440, height: 860 }, opts: { colorScheme?: 'light' | 'dark' } = {}): Promise<Launched> {
  const dir = mkdtempSync(join(tmpdir(), 'beamline-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    viewport,
    ...(opts.colorScheme ? { colorScheme: opts.colorScheme } : {}),
    acceptDownloads: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml' };

/** Serves the built editor on 127.0.0.1; /examples/* comes from the repo's examples folder. */
export async function serveDist(): Promise<{ url: string; close(): Promise<void> }> {
  if (!existsSync(join(DIST, 'index.html'))) throw new Error('dist/editor is missing: run `npx vite build` first');
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file: string;
    if (path === '/examples') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ examples: readdirSync(join(ROOT, 'examples')).map((id) => ({ id, name: id, url: `/examples/${id}/graph.json` })) }));
      return;
    }
    if (path.startsWith('/examples/')) file = normalize(join(ROOT, path));
    else file = normalize(join(DIST, path === '/' ? 'index.html' : path));
    if (!file.startsWith(ROOT) || !existsSync(file) || !statSync(file).isFile()) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    res.setHeader('content-type', TYPES[extname(file)] ?? 'application/octet-stream');
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

/** Builds the editor unless dist/editor is newer than every file it is built from (editor/ and shared/). */
export function ensureEditorBuilt(): void {
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((m, e) => Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs), 0);
  const index = join(DIST, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs > Math.max(newest(join(ROOT, 'editor')), newest(join(ROOT, 'shared')))) return;
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`vite build failed:\n${r.stdout}\n${r.stderr}`);
}

/** main.tsx exposes the store so tests can read what the user built. */
/**
 * The editor at `url` on a new graph: with nothing deployed it opens on the Home view, so this
 * waits for the palette and starts a new graph from there, as a newcomer would.
 */
export async function openNewGraph(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('.bl-palette-item');
  await page.getByTestId('home').getByRole('button', { name: 'New graph' }).click();
  await page.getByTestId('home').waitFor({ state: 'detached' });
}

export interface EditorWindow {
  beamline: { store: { getState(): EditorState } };
}

// playwright-core has no web-first assertions: poll with vitest instead.
export const POLL = { timeout: 15_000 };

/** What the browser tests do on the page, for the page `current()` returns. */
export function editorHelpers(current: () => Page) {
  const page = () => current();
  const node = (id: string) => page().getByTestId(`node-${id}`);
  return {
    node,
    handle: (id: string, port: string, type: 'source' | 'target') => node(id).locator(`.react-flow__handle.${type}[data-handleid="${port}"]`),
    async dragHandle(from: Locator, to: Locator) {
      const a = (await from.boundingBox())!;
      const b = (await to.boundingBox())!;
      await page().mouse.move(a.x + a.width / 2, a.y + a.height / 2);
      await page().mouse.down();
      await page().mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
      await page().mouse.up();
    },
    async dropKind(kind: string, x: number, y: number) {
      await page().locator(`.bl-palette-item[data-kind="${kind}"]`).dragTo(page().locator('.bl-canvas'), { targetPosition: { x, y } });
    },
    /** Commits a number or text field of the inspector (fields commit on Enter, one undo step each). */
    async setField(key: string, value: string) {
      const input = page().getByTestId(`field-${key}`).locator('input').first();
      await input.fill(value);
      await input.press('Enter');
    },
    visible: (l: Locator, timeout = 15_000) => l.waitFor({ state: 'visible', timeout }),
    textOf: (l: Locator, timeout = 15_000) => expect.poll(async () => ((await l.count()) ? l.first().textContent() : ''), { timeout }),
    countOf: (l: Locator) => expect.poll(() => l.count(), POLL),
    /** Zooms in with the mouse wheel over `l` until the canvas draws cards in full (zoomed out they show title and status only). */
    async zoomInOn(l: Locator) {
      for (let i = 0; i < 20 && (await page().locator('.bl-canvas').getAttribute('data-detail')) !== 'full'; i++) {
        const b = (await l.boundingBox())!;
        await page().mouse.move(b.x + b.width / 2, b.y + b.height / 2);
        await page().mouse.wheel(0, -150);
        await page().waitForTimeout(50);
      }
    },
    /** Shortcuts act when focus is on the canvas, not in a form field. */
    async onCanvas(keys: string) {
      await page().evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await page().keyboard.press(keys);
    },
  };
}
