import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { Hono } from 'hono';
import type { ExampleInfo } from '../../shared/protocol.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** A path under root, or undefined when the request tries to leave it. */
function inside(root: string, urlPath: string): string | undefined {
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (rel.includes('\0')) return undefined;
  const file = resolve(root, `.${rel.startsWith('/') ? rel : `/${rel}`}`);
  return file === root || file.startsWith(root + sep) ? file : undefined;
}

async function sendFile(file: string): Promise<Response | undefined> {
  try {
    const body = await readFile(file);
    return new Response(body, { headers: { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' } });
  } catch {
    return undefined;
  }
}

/** The examples the editor can load: every examples/<id>/graph.json. */
export function listExamples(dir: string): ExampleInfo[] {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return [];
  }
  const out: ExampleInfo[] = [];
  for (const id of entries) {
    try {
      const g = JSON.parse(readFileSync(join(dir, id, 'graph.json'), 'utf8')) as { name?: string; description?: string };
      out.push({ id, name: g.name ?? id, ...(g.description ? { description: g.description } : {}), url: `/examples/${id}/graph.json` });
    } catch {}
  }
  return out;
}

/** GET /examples (list) and /examples/<id>/graph.json; the editor's built files at / (SPA fallback). */
export function staticRoutes(editorDir: string, examplesDir: string): Hono {
  const app = new Hono();
  const editorRoot = resolve(editorDir);
  const examplesRoot = resolve(examplesDir);
  app.get('/examples', (c) => c.json({ examples: listExamples(examplesRoot) }));
  app.get('/examples/', (c) => c.json({ examples: listExamples(examplesRoot) }));
  app.get('/examples/:id/graph.json', async (c) => {
    const file = inside(examplesRoot, `/${c.req.param('id')}/graph.json`);
    const res = file ? await sendFile(file) : undefined;
    return res ?? c.json({ error: `no example "${c.req.param('id')}"` }, 404);
  });
  app.get('*', async (c) => {
    const path = c.req.path;
    if (path.startsWith('/api/') || path.startsWith('/socket.io')) return c.json({ error: `no route GET ${path}` }, 404);
    const file = inside(editorRoot, path === '/' ? '/index.html' : path);
    const res = file ? await sendFile(file) : undefined;
    if (res) return res;
    // Client-side routes fall back to the editor's index.html; files with an extension do not.
    if (!extname(path)) {
      const index = await sendFile(join(editorRoot, 'index.html'));
      if (index) return index;
      return c.html('<!doctype html><title>Beamline</title><p>The editor is not built: run <code>npm run build:editor</code>. The API is at <a href="/api/openapi.json">/api/openapi.json</a>.</p>');
    }
    return c.json({ error: `no file ${path}` }, 404);
  });
  return app;
}
