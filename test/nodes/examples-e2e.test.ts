// The examples end to end through the runtime: a real server on 127.0.0.1, real
// replicas in worker threads, real models and index files, plain HTTP.
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureIndex } from '../../runtime/ingest.js';
import { type BeamlineServer, createServer } from '../../runtime/server/index.js';
import { compile } from '../../shared/compile.js';
import { CONVERT, renderInvoice, SAMPLE_INVOICE } from '../../scripts/render-invoice.js';
import { REPO } from './helpers.js';
import { missingTool } from '../system-tools.js';

const EXAMPLES = join(REPO, 'examples');
const readGraph = (name: string) => JSON.parse(readFileSync(join(EXAMPLES, name, 'graph.json'), 'utf8'));

// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
async function post(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'beamline-examples-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('examples/rag through the runtime', () => {
  let server: BeamlineServer;
  const logs: string[] = [];

  beforeAll(async () => {
    const dataDir = join(tmp, 'rag');
    const graph = readGraph('rag');
    const compiled = compile(graph);
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
    // First start: the index is missing, so it is built from the graph's docs/ folder.
    await ensureIndex(compiled.plan, { dataDir, modelsDir: join(REPO, 'models'), graphDir: join(EXAMPLES, 'rag'), log: (m) => logs.push(m) });
    server = await createServer({ port: 0, host: '127.0.0.1', cpus: 8, gpus: 0, dataDir, graphs: [{ graph, dir: join(EXAMPLES, 'rag') }], log: (m) => logs.push(m) });
  });
  afterAll(() => server?.close());

  it('builds the missing index at first start, with progress', () => {
    expect(logs).toContain('retriever retrieve: index "rag" is missing; building it from ' + join(EXAMPLES, 'rag', 'docs'));
    expect(logs.some((l) => /^ingest rag: embedded (\d+)\/\1 chunks$/.test(l))).toBe(true);
  });

  it('answers "What is Kubernetes?" from the Kubernetes document', async () => {
    const r = await post(`${server.url}/rag`, { query: 'What is Kubernetes?' });
    expect(r.status).toBe(200);
    expect(r.body.backend).toBe('extractive');
    expect(r.body.answer).toMatch(/Kubernetes/);
    expect(r.body.sources[0].source).toBe('kubernetes.md');
    expect(typeof r.body.sources[0].score).toBe('number');
  });

  it('answers a batching question from the batching document, and rejects a bad body naming the field', async () => {
    const r = await post(`${server.url}/rag`, { query: 'How does dynamic batching work?' });
    expect(r.body.sources.map((s: { source: string }) => s.source)).toContain('batching.md');
    const bad = await post(`${server.url}/rag`, { query: 42 });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/query/);
  });
});

describe('`beamline serve examples/rag/graph.json` on a fresh data directory', () => {
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      // Draining is the runtime's business; never leave the process behind.
      const force = setTimeout(() => child!.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(force);
    }
  });

  it('builds the index at first start, with progress, then answers from kubernetes.md', async () => {
    const dataDir = join(tmp, 'serve-rag');
    child = spawn(process.execPath, [join(REPO, 'bin/beamline.js'), 'serve', join(EXAMPLES, 'rag', 'graph.json'), '--port', '0', '--data-dir', dataDir], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
    });
    child.stderr!.on('data', (d) => {
      out += d;
    });
    await new Promise<void>((ok, fail) => {
      const check = setInterval(() => {
        if (/graph rag v\d+ at POST \/rag: RUNNING/.test(out)) {
          clearInterval(check);
          ok();
        } else if (child!.exitCode !== null) {
          clearInterval(check);
          fail(new Error(`serve exited: ${out}`));
        }
      }, 100);
    });
    expect(out).toMatch(/retriever retrieve: index "rag" is missing; building it from .*examples\/rag\/docs/);
    expect(out).toMatch(/ingest rag: embedded (\d+)\/\1 chunks/);
    const url = /Beamline on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1];
    const r = await post(`${url}/rag`, { query: 'What is Kubernetes?' });
    expect(r.status).toBe(200);
    expect(r.body.sources[0].source).toBe('kubernetes.md');
    expect(r.body.answer).toMatch(/Kubernetes/);
  });
});

const NO_CONVERT = missingTool(CONVERT, 'imagemagick');

describe.skipIf(NO_CONVERT)('examples/document-analysis through the runtime', () => {
  let server: BeamlineServer;
  let png: Buffer;

  beforeAll(async () => {
    const dataDir = join(tmp, 'documents');
    mkdirSync(join(dataDir, 'uploads'), { recursive: true });
    png = readFileSync(renderInvoice(join(tmp, 'invoice.png')));
    copyFileSync(join(tmp, 'invoice.png'), join(dataDir, 'uploads', 'invoice.png'));
    // The graph asks for fractional GPUs: declare six virtual ones (the models then run on the CPU).
    server = await createServer({ port: 0, host: '127.0.0.1', cpus: 16, gpus: 6, dataDir, graphs: [{ graph: readGraph('document-analysis'), dir: join(EXAMPLES, 'document-analysis') }], log: () => {} });
  });
  afterAll(() => server?.close());

  it('extracts the amount and the date of a rendered invoice, with a summary and a class', async () => {
    const r = await post(`${server.url}/documents`, { image: png.toString('base64') });
    expect(r.status).toBe(200);
    const ents = r.body.ner as { value: string; type: string }[];
    expect(ents).toContainEqual(expect.objectContaining({ type: 'MONEY', value: SAMPLE_INVOICE.total }));
    expect(ents).toContainEqual(expect.objectContaining({ type: 'DATE', value: SAMPLE_INVOICE.date }));
    expect(ents).toContainEqual(expect.objectContaining({ type: 'EMAIL', value: SAMPLE_INVOICE.email }));
    expect(r.body.summarize.backend).toBe('extractive');
    expect(r.body.summarize.answer).toContain(SAMPLE_INVOICE.total);
    expect(['POSITIVE', 'NEGATIVE']).toContain(r.body.classify.label);
  });

  it('reads an image by its path inside the data directory and refuses one outside it', async () => {
    const ok = await post(`${server.url}/documents`, { image: 'uploads/invoice.png' });
    expect(ok.status).toBe(200);
    expect(ok.body.ner).toContainEqual(expect.objectContaining({ type: 'MONEY', value: SAMPLE_INVOICE.total }));
    const bad = await post(`${server.url}/documents`, { image: '../../etc/passwd' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('outside the data directory');
    expect(bad.body.node).toBe('ocr');
  });
});

describe('examples/custom-node through the runtime', () => {
  let server: BeamlineServer;
  beforeAll(async () => {
    server = await createServer({
      port: 0,
      host: '127.0.0.1',
      cpus: 4,
      gpus: 0,
      dataDir: join(tmp, 'custom'),
      nodes: [join(EXAMPLES, 'custom-node', 'nodes', 'word-stats.ts')],
      graphs: [{ graph: readGraph('custom-node'), dir: join(EXAMPLES, 'custom-node') }],
      log: () => {},
    });
  });
  afterAll(() => server?.close());

  it('lists the defineNode kind in the catalog and serves it', async () => {
    const catalog = await (await fetch(`${server.url}/api/catalog`)).json();
    expect(catalog.kinds.find((k: { kind: string }) => k.kind === 'word-stats')).toMatchObject({ title: 'Word statistics', category: 'text' });
    const r = await post(`${server.url}/word-stats`, { text: 'Ray Serve scales each deployment on its own. A deployment is a class; each replica of a deployment loads the model once.' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ words: 22, sentences: 2, readingSeconds: 6, top: [{ word: 'deployment', count: 3 }, { word: 'each', count: 2 }, { word: 'class', count: 1 }] });
  });
});
