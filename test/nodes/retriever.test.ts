import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureIndex, ingest } from '../../runtime/ingest.js';
import { createEmbedder, type Embedder } from '../../runtime/nodes/embedder.js';
import { type RetrievedDocument, retriever } from '../../runtime/nodes/retriever.js';
import { readDocuments } from '../../runtime/retrieval/documents.js';
import { readIndex, writeIndex } from '../../runtime/retrieval/index-files.js';
import { topKDot, topKScores } from '../../runtime/retrieval/topk.js';
import type { retriever as kind } from '../../shared/catalog/retriever.js';
import { compile } from '../../shared/compile.js';
import type { Plan } from '../../shared/plan.js';
import { callContext, nodeContext, REPO, MODELS } from './helpers.js';

const RAG_DIR = join(REPO, 'examples', 'rag');
const DOCS = join(RAG_DIR, 'docs');

/** The RAG example graph with its embedder pointed at the reference GloVe model beside the repo. */
function ragGraph(): Record<string, unknown> {
  const g = JSON.parse(readFileSync(join(RAG_DIR, 'graph.json'), 'utf8'));
  g.nodes.find((n: { id: string }) => n.id === 'embed').config.model = 'glove-100d';
  return g;
}

function planOf(graph: unknown): Plan {
  const r = compile(graph);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.plan;
}

let tmp: string;
let dataDir: string;
let embedder: Embedder;
const plan = planOf(ragGraph());
const retrieverConfig = plan.nodes.retrieve.config as ReturnType<typeof kind.config.parse>;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'beamline-retriever-'));
  dataDir = join(tmp, 'data');
  embedder = await createEmbedder({ model: 'glove-100d' }, { modelsDir: MODELS, device: { type: 'cpu' } });
});
afterAll(async () => {
  await embedder?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function ask(question: string, config = retrieverConfig, dir = dataDir): Promise<RetrievedDocument[]> {
  const node = await retriever.setup(config, { ...nodeContext('retriever'), dataDir: dir });
  const [vector] = await embedder.embed([question]);
  const out = await node.call({ vector: Array.from(vector), query: question }, callContext());
  return out.documents as RetrievedDocument[];
}

describe('ingest of examples/rag/docs, then retrieval', () => {
  it('writes the agreed index format', async () => {
    const progress: string[] = [];
    const result = await ingest({ plan, docsDir: DOCS, dataDir, modelsDir: MODELS, progress: (p) => progress.push(`${p.phase} ${p.done}/${p.total}`), batchSize: 8 });
    const dir = join(dataDir, 'indexes', 'rag');
    expect(result.dir).toBe(dir);
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
    expect(meta).toMatchObject({ format: 'beamline-index', version: 1, dim: 100, model: 'glove-100d', normalized: true, chunkSize: 800, chunkOverlap: 100 });
    expect(Number.isNaN(Date.parse(meta.createdAt))).toBe(false);
    expect(statSync(join(dir, 'vectors.f32')).size).toBe(meta.count * meta.dim * 4);
    const lines = readFileSync(join(dir, 'chunks.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(meta.count);
    lines.forEach((l, i) => {
      expect(l.id).toBe(i);
      expect(Object.keys(l).sort()).toEqual(['chunk', 'id', 'source', 'text']);
    });
    const sources = new Set(lines.map((l) => l.source));
    expect(sources.size).toBe(readDocuments(DOCS).length);
    expect(sources.has('kubernetes.md')).toBe(true);
    // Rows are unit length, read back as little-endian float32.
    const buf = readFileSync(join(dir, 'vectors.f32'));
    for (let r = 0; r < meta.count; r++) {
      let s = 0;
      for (let j = 0; j < meta.dim; j++) s += buf.readFloatLE((r * meta.dim + j) * 4) ** 2;
      expect(Math.abs(Math.sqrt(s) - 1)).toBeLessThan(1e-5);
    }
    // Progress: one line per embedding batch, ending at the total.
    expect(progress.filter((p) => p.startsWith('embed')).at(-1)).toBe(`embed ${meta.count}/${meta.count}`);
    expect(progress.filter((p) => p.startsWith('embed')).length).toBe(Math.ceil(meta.count / 8));
    // Same model, same tokenisation: the stored row equals a fresh embedding of the chunk's text.
    const [fresh] = await embedder.embed([lines[3].text]);
    for (let j = 0; j < meta.dim; j++) expect(buf.readFloatLE((3 * meta.dim + j) * 4)).toBeCloseTo(fresh[j], 5);
  });

  it('"What is Kubernetes?" retrieves the Kubernetes document first, with scores best first', async () => {
    const docs = await ask('What is Kubernetes?');
    expect(docs).toHaveLength(3);
    expect(docs[0].source).toBe('kubernetes.md');
    expect(docs[0].text).toMatch(/Kubernetes/);
    for (const d of docs) expect(Object.keys(d).sort()).toEqual(['chunk', 'id', 'score', 'source', 'text']);
    for (let i = 1; i < docs.length; i++) expect(docs[i].score).toBeLessThanOrEqual(docs[i - 1].score);
  });

  it.each([
    ['How does dynamic batching work?', 'batching.md'],
    ['What is KubeRay?', 'kuberay.md'],
    ['What is ONNX?', 'onnx.md'],
    ['How do I share a GPU between models?', 'gpus.md'],
  ])('%s -> %s', async (q, source) => {
    expect((await ask(q))[0].source).toBe(source);
  });

  it('pure cosine (lexicalWeight 0) scores every document, with the cosine as score', async () => {
    const config = { ...retrieverConfig, lexicalWeight: 0, topK: 1000 };
    const docs = await ask('What is Kubernetes?', config);
    const meta = readIndex(dataDir, 'rag').meta;
    expect(docs).toHaveLength(meta.count);
    const [q] = await embedder.embed(['What is Kubernetes?']);
    const index = readIndex(dataDir, 'rag');
    const row = index.vectors.subarray(docs[0].id * meta.dim, (docs[0].id + 1) * meta.dim);
    expect(docs[0].score).toBeCloseTo(row.reduce((s, x, j) => s + x * q[j], 0), 5);
  });

  it('minScore drops documents below it', async () => {
    const docs = await ask('What is Kubernetes?', { ...retrieverConfig, topK: 1000, minScore: 0.8 });
    expect(docs.length).toBeGreaterThan(0);
    expect(docs.length).toBeLessThan(readIndex(dataDir, 'rag').meta.count);
    for (const d of docs) expect(d.score).toBeGreaterThanOrEqual(0.8);
  });
});

describe('retriever errors', () => {
  it('a missing index leaves the node unhealthy with a message naming the index and its path', async () => {
    const empty = join(tmp, 'empty');
    const ctx = { ...nodeContext('retriever'), dataDir: empty };
    const node = await retriever.setup({ ...retrieverConfig, index: 'nope' }, ctx);
    const expected = join(empty, 'indexes', 'nope', 'meta.json');
    expect(() => node.health?.()).toThrow(`index "nope" not found: ${expected}`);
    await expect(node.call({ vector: new Array(100).fill(0.1) }, callContext())).rejects.toThrow(/index "nope" not found/);
    // Retries do not repeat the log line.
    expect(ctx.logs.filter((l) => l.includes('"nope" not found'))).toHaveLength(1);
  });

  it('a later ingest heals an unhealthy retriever', async () => {
    const later = join(tmp, 'later');
    const node = await retriever.setup(retrieverConfig, { ...nodeContext('retriever'), dataDir: later });
    expect(() => node.health?.()).toThrow(/not found/);
    await ingest({ plan, docsDir: DOCS, dataDir: later, modelsDir: MODELS });
    expect(() => node.health?.()).not.toThrow();
  });

  it('a truncated vectors file is refused with the byte counts', async () => {
    const bad = join(tmp, 'bad');
    cpSync(join(dataDir, 'indexes'), join(bad, 'indexes'), { recursive: true });
    const f = join(bad, 'indexes', 'rag', 'vectors.f32');
    writeFileSync(f, readFileSync(f).subarray(0, 400));
    expect(() => readIndex(bad, 'rag')).toThrow(`index "rag": ${f} has 400 bytes, expected`);
  });

  it('a query vector of the wrong size or with bad numbers is an input error naming the field', async () => {
    const node = await retriever.setup(retrieverConfig, { ...nodeContext('retriever'), dataDir });
    await expect(node.call({ vector: [1, 2, 3] }, callContext())).rejects.toMatchObject({ name: 'NodeInputError', path: 'vector', message: expect.stringMatching(/3 numbers, the index has dimension 100/) });
    await expect(node.call({ vector: 'x' }, callContext())).rejects.toMatchObject({ name: 'NodeInputError', path: 'vector' });
    const v = new Array(100).fill(0.1);
    v[7] = 'a';
    await expect(node.call({ vector: v }, callContext())).rejects.toMatchObject({ path: 'vector[7]' });
    await expect(node.call({ vector: new Array(100).fill(0.1), query: 5 }, callContext())).rejects.toMatchObject({ path: 'query' });
  });
});

describe('index writing, ensureIndex and the CLI', () => {
  it('rewriting an index replaces it whole', () => {
    const dir = join(tmp, 'rewrite');
    writeIndex(dir, 'x', { dim: 2, model: 'm', chunkSize: 10, chunkOverlap: 0, vectors: Float32Array.of(3, 4, 0, 2), chunks: [{ text: 'a', source: 's', chunk: 0 }, { text: 'b', source: 's', chunk: 1 }] });
    const first = readIndex(dir, 'x');
    expect(Array.from(first.vectors)).toEqual([0.6000000238418579, 0.800000011920929, 0, 1]);
    writeIndex(dir, 'x', { dim: 2, model: 'm', chunkSize: 10, chunkOverlap: 0, vectors: Float32Array.of(1, 0), chunks: [{ text: 'c', source: 't', chunk: 0 }] });
    const second = readIndex(dir, 'x');
    expect(second.chunks).toEqual([{ id: 0, text: 'c', source: 't', chunk: 0 }]);
    expect(existsSync(join(dir, 'indexes'))).toBe(true);
    // No temporary or old directories are left behind.
    expect(spawnSync('ls', ['-A', join(dir, 'indexes')]).stdout.toString().trim()).toBe('x');
  });

  it('ensureIndex builds a missing index from config.docs relative to the graph folder, once', async () => {
    const graphDir = join(tmp, 'graphdir');
    mkdirSync(graphDir, { recursive: true });
    cpSync(DOCS, join(graphDir, 'docs'), { recursive: true });
    const data = join(tmp, 'ensure');
    const logs: string[] = [];
    const built = await ensureIndex(plan, { dataDir: data, modelsDir: MODELS, graphDir, log: (m) => logs.push(m) });
    expect(built.map((b) => b.index)).toEqual(['rag']);
    expect(logs.some((l) => /embedded \d+\/\d+ chunks/.test(l))).toBe(true);
    const again: string[] = [];
    expect(await ensureIndex(plan, { dataDir: data, modelsDir: MODELS, graphDir, log: (m) => again.push(m) })).toEqual([]);
    expect(again).toEqual([]);
    // The graph now embeds with another model than the index was built with: a warning, no rebuild.
    const g = ragGraph();
    (g.nodes as { id: string; config: Record<string, unknown> }[]).find((n) => n.id === 'embed')!.config.model = 'builtin:glove-100d';
    const warned: string[] = [];
    expect(await ensureIndex(planOf(g), { dataDir: data, modelsDir: MODELS, graphDir, log: (m) => warned.push(m) })).toEqual([]);
    expect(warned).toEqual(['retriever retrieve: index "rag" was embedded with glove-100d, the graph embeds queries with builtin:glove-100d; rebuild it with beamline ingest']);
  });

  it('ensureIndex without a graph folder (a graph sent over the API) reads docs inside the data directory', async () => {
    const data = join(tmp, 'api-data');
    cpSync(DOCS, join(data, 'docs'), { recursive: true });
    const built = await ensureIndex(plan, { dataDir: data, modelsDir: MODELS });
    expect(built[0].documents).toBe(12);
    expect(readIndex(data, 'rag').meta.count).toBe(built[0].meta.count);
  });

  it('ensureIndex refuses docs outside the graph folder', async () => {
    const g = ragGraph();
    (g.nodes as { id: string; config: Record<string, unknown> }[]).find((n) => n.id === 'retrieve')!.config.docs = '../../etc';
    await expect(ensureIndex(planOf(g), { dataDir: join(tmp, 'evil'), modelsDir: MODELS, graphDir: RAG_DIR })).rejects.toThrow(
      /retriever retrieve: config.docs "..\/..\/etc" must be a folder inside .*examples\/rag or /,
    );
  });

  it('`beamline ingest` builds the index from the command line and reports bad docs', () => {
    const graphFile = join(tmp, 'graph.json');
    writeFileSync(graphFile, JSON.stringify(ragGraph()));
    const data = join(tmp, 'cli-data');
    const run = (...args: string[]) => spawnSync(process.execPath, [resolve(REPO, 'bin/beamline.js'), 'ingest', graphFile, ...args], { cwd: REPO, encoding: 'utf8' });
    const ok = run('--docs', DOCS, '--data-dir', data, '--models-dir', MODELS, '--index', 'cli');
    expect(ok.stderr).toMatch(/embedded \d+\/\d+ chunks/);
    expect(ok.stdout).toMatch(/^ok index cli: \d+ chunks from 12 documents, dim 100, model glove-100d/);
    expect(ok.status).toBe(0);
    expect(readIndex(data, 'cli').meta.count).toBeGreaterThan(12);
    const bad = run('--docs', join(tmp, 'no-such-folder'), '--data-dir', data, '--models-dir', MODELS);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(`docs folder ${join(tmp, 'no-such-folder')} does not exist`);
  });

  it('reads .jsonl documents and names the line of a bad one', () => {
    const dir = join(tmp, 'jsonl');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'a.jsonl'), '{"text": "first", "source": "faq/1"}\n{"text": "second"}\n');
    expect(readDocuments(dir)).toEqual([
      { source: 'faq/1', text: 'first' },
      { source: 'a.jsonl#2', text: 'second' },
    ]);
    writeFileSync(join(dir, 'b.jsonl'), '{"text": "ok"}\n{"nope": 1}\n');
    expect(() => readDocuments(dir)).toThrow('b.jsonl line 2: expected {"text": "...", "source"?: "..."}');
  });
});

describe('top-k selection', () => {
  const naive = (scores: Float32Array, k: number, min: number) =>
    Array.from(scores, (score, index) => ({ index, score }))
      .filter((h) => h.score >= min)
      .sort((a, b) => b.score - a.score || a.index - b.index)
      .slice(0, k);

  it('property: the heap selection equals a full sort', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { maxLength: 300 }), fc.integer({ min: 0, max: 40 }), fc.float({ min: -1, max: 1, noNaN: true }), (xs, k, min) => {
        const scores = Float32Array.from(xs);
        expect(topKScores(scores, k, min)).toEqual(naive(scores, k, min));
      }),
      { numRuns: 300 },
    );
  });

  it('topKDot scores rows by dot product', () => {
    const vectors = Float32Array.of(1, 0, 0, 1, 0.6, 0.8);
    expect(topKDot(vectors, 2, Float32Array.of(0, 1), 2)).toEqual([
      { index: 1, score: 1 },
      { index: 2, score: expect.closeTo(0.8, 6) },
    ]);
  });
});
