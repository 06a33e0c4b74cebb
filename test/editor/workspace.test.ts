/** The editor's workspace logic without a browser: drafts, run history, indexes, output views, deployments, unsaved and modified. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { autoAttach, failingByNode, healthOf } from '../../editor/lib/deployments.js';
import { DRAFTS_KEY, dropDraft, memoryKeyValue, readDrafts, saveDraft } from '../../editor/lib/drafts.js';
import { embedderMismatch, jobProgress, missingIndexes, retrieversOf, uploadProblem } from '../../editor/lib/indexes.js';
import { documentsIn, imagesIn, summarise } from '../../editor/lib/output.js';
import { clusterOf, heldByOthers, previewPlacement } from '../../editor/lib/preview.js';
import { addRun, fitHistory, readHistory, type RunRecord, writeHistory } from '../../editor/lib/runs.js';
import { derive, useEditor } from '../../editor/store/graph.js';
import { type Graph, GraphSchema } from '../../shared/graph.js';
import type { ClusterStatus, GraphSummary, IndexInfo } from '../../shared/protocol.js';

const ROOT = resolve(import.meta.dirname, '../..');
const rag = GraphSchema.parse(JSON.parse(readFileSync(join(ROOT, 'examples/rag/graph.json'), 'utf8')));
const st = () => useEditor.getState();

const summary = (name: string, extra: Partial<GraphSummary> = {}): GraphSummary => ({
  name,
  routePrefix: `/${name}`,
  version: 1,
  state: 'RUNNING',
  replicas: { running: 4, desired: 4, pending: 0 },
  requestsPerSec: 0,
  p50Ms: null,
  p99Ms: null,
  errors: 0,
  errorRate: 0,
  failing: [],
  pending: [],
  ...extra,
});
const index = (name: string, model = 'builtin:glove-100d'): IndexInfo => ({ name, chunks: 10, documents: 2, dim: 100, model, bytes: 4000, createdAt: '2026-01-01T00:00:00Z', building: false });
const run = (id: string, graph: string, at: number, output: unknown = 'x'): RunRecord => ({
  id,
  graph,
  input: `q ${id}`,
  at,
  ms: 5,
  status: 'ok',
  output,
  trace: [],
  nodes: { retrieve: { state: 'done', ms: 1, preview: 'p', output } },
  tokens: '',
});

describe('drafts', () => {
  it('keeps one draft per graph, newest first, with what it was edited from', () => {
    const kv = memoryKeyValue();
    const edited = { ...rag, description: 'edited' };
    expect(saveDraft(kv, { key: 'rag', graph: rag, base: rag, savedAt: 1 })).toBe(true);
    saveDraft(kv, { key: 'other', graph: { ...rag, name: 'other' }, base: null, savedAt: 2 });
    saveDraft(kv, { key: 'rag', graph: edited, base: rag, savedAt: 3 });
    const all = readDrafts(kv);
    expect(all.map((d) => d.key)).toEqual(['rag', 'other']);
    expect(all[0].graph.description).toBe('edited');
    expect(all[0].base?.description).toBe(rag.description);
    expect(all[1].base).toBeNull();
    dropDraft(kv, 'rag');
    expect(readDrafts(kv).map((d) => d.key)).toEqual(['other']);
  });

  it('skips drafts that are not graphs, and survives a store that refuses writes', () => {
    const kv = memoryKeyValue();
    kv.setItem(DRAFTS_KEY, JSON.stringify([{ key: 'bad', graph: { nodes: 'no' }, savedAt: 1 }, { key: 'rag', graph: rag, savedAt: 2 }]));
    expect(readDrafts(kv).map((d) => d.key)).toEqual(['rag']);
    kv.setItem(DRAFTS_KEY, '{not json');
    expect(readDrafts(kv)).toEqual([]);
    const full = { ...memoryKeyValue(), setItem: () => {
      throw new Error('QuotaExceededError');
    } };
    expect(saveDraft(full, { key: 'rag', graph: rag, base: null, savedAt: 1 })).toBe(false);
  });
});

describe('run history', () => {
  it('puts the newest run first in its own graph, up to a limit', () => {
    let h = {};
    for (let i = 0; i < 5; i++) h = addRun(h, run(`r${i}`, i % 2 ? 'a' : 'b', i), 2);
    expect(Object.fromEntries(Object.entries(h as Record<string, RunRecord[]>).map(([g, rs]) => [g, rs.map((r) => r.id)]))).toEqual({ a: ['r3', 'r1'], b: ['r4', 'r2'] });
  });

  it('drops the oldest node outputs first, then the oldest runs, to fit the storage budget', () => {
    const big = 'x'.repeat(2000);
    const h = { g: [run('new', 'g', 2, big), run('old', 'g', 1, big)] };
    const fitted = fitHistory(h, JSON.stringify(h).length - 1000);
    expect(fitted.g.map((r) => r.id)).toEqual(['new', 'old']);
    expect(fitted.g[1].nodes.retrieve.output).toBeUndefined();
    expect(fitted.g[1].nodes.retrieve.outputOmitted).toMatch(/dropped/);
    expect(fitted.g[0].nodes.retrieve.output).toBe(big);
    const tiny = fitHistory(h, 3000);
    expect(tiny.g?.map((r) => r.id) ?? []).not.toContain('old');
    const kv = memoryKeyValue();
    writeHistory(kv, h);
    expect(readHistory(kv).g.map((r) => r.id)).toEqual(['new', 'old']);
  });
});

describe('indexes for retrievers', () => {
  it('finds each retriever with its index and the embedder in front of it', () => {
    expect(retrieversOf(rag)).toEqual([{ node: 'retrieve', index: 'rag', docs: 'docs', embedder: 'builtin:use-lite' }]);
    const bare = { ...rag, nodes: rag.nodes.map((n) => (n.id === 'retrieve' ? { ...n, config: {} } : n)), edges: rag.edges.filter((e) => e.target !== 'retrieve' || e.targetHandle !== 'vector') };
    expect(retrieversOf(bare)).toEqual([{ node: 'retrieve', index: 'default', embedder: 'builtin:glove-100d' }]);
  });

  it('says which are missing, and which were built with another embedder', () => {
    expect(missingIndexes(rag, null)).toEqual([]);
    expect(missingIndexes(rag, []).map((m) => m.index)).toEqual(['rag']);
    expect(missingIndexes(rag, [index('rag')])).toEqual([]);
    const [need] = retrieversOf(rag);
    expect(embedderMismatch(need, [index('rag', 'minilm')])).toBe('index "rag" was built with minilm, but retrieve is fed by builtin:use-lite');
    expect(embedderMismatch(need, [index('rag', 'builtin:use-lite')])).toBeUndefined();
  });

  it('accepts .md, .txt and .jsonl uploads only, and reports progress to 100 %', () => {
    expect(uploadProblem('notes.MD')).toBeUndefined();
    expect(uploadProblem('a.jsonl')).toBeUndefined();
    expect(uploadProblem('photo.png')).toBe('photo.png: only .md, .txt, .jsonl files can be indexed');
    expect(jobProgress({ state: 'running', done: 5, total: 20 })).toBe(0.25);
    expect(jobProgress({ state: 'done', done: 0, total: 0 })).toBe(1);
  });
});

describe('output views', () => {
  const retrieved = { documents: [{ id: 'a#0', text: 'GPUs are shared.', source: 'docs/gpu.md', chunk: 0, score: 0.91 }, { id: 'b#1', text: 'Batching.', source: 'docs/batch.md', chunk: 1, score: 0.5 }] };
  it('lists documents with their source and score, and finds images', () => {
    const [found] = documentsIn(retrieved);
    expect(found.path).toBe('$.documents');
    expect(found.value.map((d) => `${d.source} ${d.score}`)).toEqual(['docs/gpu.md 0.91', 'docs/batch.md 0.5']);
    expect(documentsIn({ items: [{ text: 'no source or score' }] })).toEqual([]);
    const png = 'data:image/png;base64,iVBORw0KGgo=';
    expect(imagesIn({ page: { image: png }, other: 'data:text/plain;base64,aGk=' })).toEqual([{ path: '$.page.image', value: png }]);
    expect(summarise(retrieved)).toBe('{1 key}');
    expect(summarise(retrieved.documents)).toBe('[2 items]');
  });
});

describe('deployments', () => {
  it('opens the only deployed graph when nothing else is open', () => {
    expect(autoAttach([summary('rag')], true)).toBe('rag');
    expect(autoAttach([summary('rag')], false)).toBeUndefined();
    expect(autoAttach([summary('rag'), summary('b')], true)).toBeUndefined();
    expect(autoAttach(null, true)).toBeUndefined();
  });

  it('shows a RUNNING graph whose node fails requests as failing, not green', () => {
    expect(healthOf('RUNNING', summary('rag'))).toBe('ok');
    const failing = summary('rag', { failing: [{ node: 'retrieve', reason: 'index "default" not found' }], errorRate: 1 });
    expect(healthOf('RUNNING', failing)).toBe('bad');
    expect(healthOf('RUNNING', { ...failing, errorRate: 0.1 })).toBe('warn');
    expect(healthOf('RUNNING', summary('rag', { pending: [{ node: 'embed', replica: 'embed#1', reason: 'needs 1 CPU' }] }))).toBe('warn');
    expect(healthOf('DEPLOYING')).toBe('busy');
    expect(failingByNode(failing)).toEqual({ retrieve: 'index "default" not found' });
  });
});

describe('placement on this machine', () => {
  it('packs around what other graphs hold, and leaves out the graph being redeployed', () => {
    const cluster: ClusterStatus = {
      machines: [{ machine: 'local', cpus: 2, cpusUsed: 1.75, memoryMb: 8000, memoryUsedMb: 0 }],
      gpus: [],
      gpuSource: 'none',
      holdings: [
        { graph: 'rag', node: 'embed', replicas: 1, cpus: 0.5, gpus: 0, memoryMb: 0 },
        { graph: 'rag', node: 'retrieve', replicas: 1, cpus: 1.25, gpus: 0, memoryMb: 0 },
      ],
    };
    const other = { ...rag, name: 'second', routePrefix: '/second' };
    const r = previewPlacement(other, clusterOf(cluster), undefined, heldByOthers(cluster, 'second'));
    expect(r.ok && r.placement.unplaced.map((u) => u.replica)).toEqual(['embed#0', 'retrieve#0', 'answer#0']);
    // Redeploying rag itself: its own holdings are replaced, so everything fits.
    const again = previewPlacement(rag, clusterOf(cluster), undefined, heldByOthers(cluster, 'rag'));
    expect(again.ok && again.placement.unplaced).toEqual([]);
  });
});

describe('unsaved and modified', () => {
  beforeEach(() => {
    st().newGraph();
    st().detach();
  });
  const edit = () => st().updateNode('retrieve', 'config', ['topK'], 7);

  it('marks the canvas unsaved after an edit and clean again after undo, save or deploy', () => {
    st().load(rag);
    derive();
    expect(st().dirty).toBe(false);
    edit();
    derive();
    expect(st().dirty).toBe(true);
    useEditor.temporal.getState().undo();
    derive();
    expect(st().dirty).toBe(false);
    edit();
    st().markSaved();
    derive();
    expect(st().dirty).toBe(false);
    // A restored draft stays unsaved against what it was edited from.
    const edited: Graph = st().exportGraph();
    st().load(edited, { baseline: rag });
    derive();
    expect(st().dirty).toBe(true);
  });

  it('says the canvas is modified against the deployed version, but not for moved nodes', () => {
    st().load(rag);
    st().attach({ name: 'rag', version: 3, graph: rag });
    derive();
    expect(st().modified).toBe(false);
    st().onNodesChange([{ type: 'position', id: 'embed', position: { x: 1, y: 2 } }]);
    derive();
    expect(st().modified).toBe(false);
    expect(st().dirty).toBe(true);
    edit();
    derive();
    expect(st().modified).toBe(true);
    st().detach();
    derive();
    expect(st().modified).toBe(false);
  });

  it('records each finished run in its graph\'s history, and re-opens one with its input', () => {
    st().runStart('req-1', 'rag', 'first question');
    st().runNode('retrieve', { state: 'done', ms: 2, preview: '…', output: { documents: [] } });
    st().runEnd({ output: { answer: 'a' }, trace: [] });
    st().runStart('req-2', 'rag', 'second question');
    st().runEnd({ error: '500: boom' });
    const runs = st().runs.rag;
    expect(runs.map((r) => `${r.id} ${r.status} ${r.input}`)).toEqual(['req-2 error second question', 'req-1 ok first question']);
    st().openRun(runs[1]);
    expect(st().run.nodes.retrieve.output).toEqual({ documents: [] });
    expect(st().run.output).toEqual({ answer: 'a' });
    expect(st().inputs.rag).toBe('first question');
  });
});
