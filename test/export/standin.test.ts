import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import { beforeAll, describe, expect, it, afterAll } from 'vitest';
import { exportGraph, exportGraphs } from '../../runtime/export/export.js';
import { writeExport } from '../../runtime/export/write.js';
import { builtinCatalog, outputPorts } from '../../shared/catalog/index.js';
import type { Plan } from '../../shared/plan.js';
import { splitNode } from '../../runtime/dataplane/inline/index.js';
import { exportTemplate } from '../../runtime/kinds.js';
import { exampleGraphs, FIXTURES, ROOT, removeTempDirs, runUnderStandin, tempDir, writeIndex } from './helpers.js';

/**
 * The exported composition run under fixtures/standin, a small stand-in for
 * ray.serve (not Ray). Nodes whose libraries are stubs here (onnxruntime,
 * tokenizers) fail in their constructor and answer with fixed outputs; the
 * preprocessor, retriever, extractive LLM, regex NER and routing nodes run for real.
 */

function exportTo(file: string, edit: (g: { edges: unknown[] }) => void = () => {}): { dir: string; plan: Plan } {
  const g = JSON.parse(readFileSync(file, 'utf8'));
  edit(g);
  const r = exportGraph(g, { target: 'rayservice' });
  const dir = tempDir('standin');
  writeExport(dir, r, { modelsDir: dir, dataDir: dir, copyAssets: true });
  return { dir, plan: r.plan };
}

/** Fixed outputs by port type for every replica node, used only if its real class cannot be built. */
function fakes(plan: Plan, vector: number[]): Record<string, Record<string, unknown>> {
  const byType: Record<string, unknown> = { text: 'fake text', texts: ['fake'], vector, vectors: [vector], documents: [], json: { label: 'POSITIVE' }, label: 'POSITIVE', entities: [], any: null, image: '' };
  const out: Record<string, Record<string, unknown>> = {};
  for (const id of plan.order) {
    const n = plan.nodes[id];
    const kind = builtinCatalog.get(n.kind)!;
    out[id] = Object.fromEntries(outputPorts(kind, n.config).map((p) => [p.name, byType[p.type]]));
  }
  return out;
}

const order = (events: { event: string; deployment: string }[], e: string, d: string) => events.findIndex((x) => x.event === e && x.deployment === d);

describe('the exported app runs under a stand-in for ray.serve', () => {
  afterAll(removeTempDirs);
  let rag: { dir: string; plan: Plan };
  let data: string;
  beforeAll(() => {
    // The output also joins the retriever's documents, so the real Python retriever's result shows.
    rag = exportTo(join(ROOT, 'examples/rag/graph.json'), (g) => g.edges.push({ source: 'retrieve', sourceHandle: 'documents', target: 'output', targetHandle: 'in' }));
    data = tempDir('data');
    writeIndex(data, 'rag', [[1, 0, 0, 0], [0.6, 0.8, 0, 0], [0, 0, 1, 0]], [
      'Beamline serves inference graphs. It is written in TypeScript.',
      'Ray Serve runs Python deployments on a cluster.',
      'Bananas are yellow.',
    ]);
  });

  it('rag: the request reaches every node in the graph order; the real retriever ranks the index', () => {
    const r = runUnderStandin(
      { app_dir: join(rag.dir, 'app'), serve_config: join(rag.dir, 'serve-config.yaml'), fakes: fakes(rag.plan, [1, 0.1, 0, 0]), requests: [{ query: 'What is Beamline written in?' }] },
      { BEAMLINE_MODELS_DIR: join(rag.dir, 'models'), BEAMLINE_DATA_DIR: data },
    );
    expect(r.responses[0].status).toBe(200);
    const body = r.responses[0].body as { answer: unknown; retrieve: { source: string; score: number; text: string }[] };
    expect(Object.keys(body).sort()).toEqual(['answer', 'retrieve']);
    // The query vector [1, 0.1, 0, 0] is closest to row 0, then row 1; topK 3 keeps all three, best first.
    expect(body.retrieve.map((d) => d.source)).toEqual(['doc0.md', 'doc1.md', 'doc2.md']);
    expect(body.retrieve[0].score).toBeGreaterThan(body.retrieve[1].score);
    const replicaOrder = rag.plan.order.filter((id) => rag.plan.nodes[id].runsIn === 'replica');
    expect(r.events.filter((e) => e.event === 'start').map((e) => e.deployment)).toEqual(replicaOrder);
    // Each node finished before the next began: a chain has no parallel branch.
    for (let i = 1; i < replicaOrder.length; i++) expect(order(r.events, 'end', replicaOrder[i - 1])).toBeLessThan(order(r.events, 'start', replicaOrder[i]));
    // The ONNX embedder and the extractive answerer (it embeds sentences) were stood in; the rest ran their real Python.
    expect(r.faked).toEqual(['answer', 'embed']);
  });

  const exportable = exampleGraphs().filter((g) => (JSON.parse(g.text).nodes as { kind: string }[]).every((n) => exportTemplate(n.kind)));
  for (const ex of exportable) {
    it(`${ex.name}: every node runs once, after all the nodes it depends on`, () => {
      const dir = tempDir(`standin-${ex.name}`);
      const file = join(dir, 'graph.json');
      writeFileSync(file, ex.text);
      const p = exportTo(file);
      const dataDir = tempDir('standin-data');
      for (const id of p.plan.order) {
        const n = p.plan.nodes[id];
        if (n.kind === 'retriever') writeIndex(dataDir, String(n.config.index), [[1, 0, 0, 0], [0, 1, 0, 0]], ['First chunk of text here.', 'Second chunk of text here.']);
      }
      const sample: Record<string, unknown> = { text: 'Call Ann at 5 pm about the $20 invoice.', texts: ['a b c'], vector: [1, 0, 0, 0], documents: [{ text: 'A document about invoices.', source: 'a.md' }], image: 'aGVsbG8=', label: 'POSITIVE', json: {}, any: 'x' };
      const fields = p.plan.nodes[p.plan.inputNode].config.fields as Record<string, string>;
      const body = Object.fromEntries(Object.entries(fields).map(([k, t]) => [k, sample[t]]));
      const r = runUnderStandin(
        { app_dir: join(p.dir, 'app'), serve_config: join(p.dir, 'serve-config.yaml'), fakes: fakes(p.plan, [1, 0, 0, 0]), requests: [body] },
        { BEAMLINE_MODELS_DIR: join(p.dir, 'models'), BEAMLINE_DATA_DIR: dataDir },
      );
      expect(r.responses[0].status, JSON.stringify(r.responses[0].body)).toBe(200);
      const replica = p.plan.order.filter((id) => p.plan.nodes[id].runsIn === 'replica');
      expect(r.events.filter((e) => e.event === 'start').map((e) => e.deployment).sort()).toEqual([...replica].sort());
      // A node starts only after every replica node upstream of it has ended.
      const upstream = (id: string): string[] => p.plan.nodes[id].upstream.flatMap((u) => (p.plan.nodes[u].runsIn === 'replica' ? [u] : upstream(u)));
      for (const id of replica) for (const u of upstream(id)) expect(order(r.events, 'end', u), `${u} before ${id}`).toBeLessThan(order(r.events, 'start', id));
    });
  }

  it('rag: bad input is a 400 naming the input node and the JSON path', () => {
    const r = runUnderStandin(
      { app_dir: join(rag.dir, 'app'), serve_config: join(rag.dir, 'serve-config.yaml'), fakes: fakes(rag.plan, [1, 0, 0, 0]), requests: [{ question: 'x' }, { query: 42 }] },
      { BEAMLINE_MODELS_DIR: join(rag.dir, 'models'), BEAMLINE_DATA_DIR: data },
    );
    expect(r.responses.map((x) => x.status)).toEqual([400, 400]);
    expect(r.responses[0].body).toMatchObject({ node: 'input', path: '$.query' });
    expect((r.responses[1].body as { error: string }).error).toMatch(/must be a string/);
    expect(r.events).toEqual([]);
  });

  it('a node that rejects its input answers 400 naming that node and its input', () => {
    // A 3-number query vector against the 4-d index: the retriever replica refuses it.
    const r = runUnderStandin(
      { app_dir: join(rag.dir, 'app'), serve_config: join(rag.dir, 'serve-config.yaml'), fakes: fakes(rag.plan, [1, 0, 0]), requests: [{ query: 'anything' }] },
      { BEAMLINE_MODELS_DIR: join(rag.dir, 'models'), BEAMLINE_DATA_DIR: data },
    );
    expect(r.responses[0]).toEqual({
      status: 400,
      body: expect.objectContaining({ node: 'retrieve', path: 'vector', code: 'bad_input', error: 'node retrieve: input "vector" has 3 numbers, the index has dimension 4' }),
    });
  });

  it('parallel branches are awaited together, and the join keys each branch by node', () => {
    const p = exportTo(join(FIXTURES, 'graphs/parallel.json'));
    const r = runUnderStandin(
      { app_dir: join(p.dir, 'app'), serve_config: join(p.dir, 'serve-config.yaml'), fakes: fakes(p.plan, [1]), requests: [{ text: 'Mail bob@example.com by 5 pm' }] },
      { BEAMLINE_MODELS_DIR: join(p.dir, 'models') },
    );
    expect(r.responses[0].status).toBe(200);
    const out = r.responses[0].body as { sentiment: unknown; entities: { type: string; value: string }[] };
    expect(Object.keys(out).sort()).toEqual(['entities', 'sentiment']);
    expect(out.entities.map((e) => e.type)).toEqual(['EMAIL', 'TIME']);
    // Both branches started before either finished.
    expect(order(r.events, 'start', 'sentiment')).toBeLessThan(order(r.events, 'end', 'entities'));
    expect(order(r.events, 'start', 'entities')).toBeLessThan(order(r.events, 'end', 'sentiment'));
    expect(order(r.events, 'end', 'clean')).toBeLessThan(Math.min(order(r.events, 'start', 'sentiment'), order(r.events, 'start', 'entities')));
  });

  it('each node starts when its own inputs are ready: c (after the fast b) starts and ends while the slow a still runs', () => {
    const p = exportTo(join(FIXTURES, 'graphs/unequal.json'));
    // a is "slow": its call returns only once c has ended (or after a bounded number of event-loop turns).
    const r = runUnderStandin({ app_dir: join(p.dir, 'app'), serve_config: join(p.dir, 'serve-config.yaml'), fakes: {}, requests: [{ text: 'Fast  AND Slow' }], hold: { a: 'c' } }, {});
    expect(r.responses[0]).toEqual({ status: 200, body: { a: 'fast and slow', c: 'fast and slow' } });
    // A stage-by-stage ingress would wait for a (stage 1) before starting c (stage 2).
    expect(order(r.events, 'start', 'c')).toBeLessThan(order(r.events, 'end', 'a'));
    expect(order(r.events, 'end', 'c')).toBeLessThan(order(r.events, 'end', 'a'));
    // The two branches still start together, and c still waits for b.
    expect(order(r.events, 'start', 'b')).toBeLessThan(order(r.events, 'end', 'a'));
    expect(order(r.events, 'start', 'a')).toBeLessThan(order(r.events, 'end', 'b'));
    expect(order(r.events, 'end', 'b')).toBeLessThan(order(r.events, 'start', 'c'));
    expect(r.events.filter((e) => e.event === 'start').map((e) => e.deployment)).toEqual(['a', 'b', 'c']);
  });

  it('a failing branch ends the request at once with a 400 naming its node and input, cancelling the branch still running', () => {
    // b reads a field of any type, so a number reaches it and its preprocessor refuses it; c never runs.
    const p = exportTo(join(FIXTURES, 'graphs/unequal.json'), (g) => {
      const doc = g as unknown as { nodes: { id: string; config: { fields?: Record<string, string> } }[]; edges: { source: string; sourceHandle: string; target: string }[] };
      doc.nodes.find((n) => n.id === 'input')!.config.fields!.raw = 'any';
      doc.edges.find((e) => e.target === 'b')!.sourceHandle = 'raw';
    });
    const r = runUnderStandin({ app_dir: join(p.dir, 'app'), serve_config: join(p.dir, 'serve-config.yaml'), fakes: {}, requests: [{ text: 'x', raw: 42 }], hold: { a: 'c' } }, {});
    expect(r.responses[0]).toEqual({ status: 400, body: expect.objectContaining({ node: 'b', path: 'text', code: 'bad_input', error: 'node b: input "text" must be a string, got number' }) });
    expect(r.events.filter((e) => e.event === 'start').map((e) => e.deployment)).toEqual(['a', 'b']);
    // a was still held (waiting for c) when b failed: it was cancelled before the response was made.
    const cancelled = order(r.events, 'cancelled', 'a');
    expect(cancelled).toBeGreaterThan(order(r.events, 'end', 'b'));
    expect(cancelled).toBeLessThan(r.answered[0]);
  });

  it('@serve.batch groups concurrent calls up to maxBatchSize, and user_config changes the size', () => {
    const p = exportTo(join(FIXTURES, 'graphs/parallel.json'));
    const run = () =>
      runUnderStandin(
        { app_dir: join(p.dir, 'app'), serve_config: join(p.dir, 'serve-config.yaml'), fakes: fakes(p.plan, [1]), requests: Array.from({ length: 6 }, (_, i) => ({ text: `request ${i}` })), concurrent: true },
        { BEAMLINE_MODELS_DIR: join(p.dir, 'models') },
      );
    const first = run();
    expect(first.responses.every((x) => x.status === 200)).toBe(true);
    const sizes = first.batches.Sentiment;
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(6);
    expect(Math.max(...sizes)).toBe(4);
    // The Serve config's user_config reaches reconfigure(), which resizes the batches.
    const file = join(p.dir, 'serve-config.yaml');
    const cfg = load(readFileSync(file, 'utf8')) as { applications: { deployments: { name: string; user_config: { beamline: { batching: { maxBatchSize: number } } } }[] }[] };
    cfg.applications[0].deployments.find((d) => d.name === 'sentiment')!.user_config.beamline.batching.maxBatchSize = 2;
    writeFileSync(file, dump(cfg));
    const second = run();
    expect(second.batches.Sentiment.reduce((a, b) => a + b, 0)).toBe(6);
    expect(Math.max(...second.batches.Sentiment)).toBe(2);
  });

  it('awkward names: node ids that are Python keywords, hold "-", or collide with the ingress', () => {
    const p = exportTo(join(FIXTURES, 'graphs/awkward.json'));
    const r = runUnderStandin({ app_dir: join(p.dir, 'app'), serve_config: join(p.dir, 'serve-config.yaml'), fakes: {}, requests: [{ text: 'Some  TEXT' }] }, {});
    expect(r.responses[0]).toEqual({ status: 200, body: { class: 'some text', 'clean-2': ['Some TEXT'], _private: 'Some TEXT' } });
    expect(new Set(r.events.map((e) => e.deployment))).toEqual(new Set(['Ingress', 'class', 'clean-2', '_private']));
    expect(readFileSync(join(p.dir, 'serve-config.yaml'), 'utf8')).toMatch(/route_prefix: \/odd\/names\n/);
  });

  it('a switch runs only the branch it picks', () => {
    const p = exportTo(join(FIXTURES, 'graphs/switch.json'));
    const r = runUnderStandin(
      { app_dir: join(p.dir, 'app'), serve_config: join(p.dir, 'serve-config.yaml'), fakes: {}, requests: [{ text: 'hello' }, { text: 'Other  Words' }] },
      {},
    );
    expect(r.responses.map((x) => x.body)).toEqual([{ greeting: 'hello' }, { other: 'other words' }]);
    expect(r.events.filter((e) => e.event === 'start').map((e) => e.deployment)).toEqual(['greeting', 'other']);
  });

  it('a split sends each sticky key down the branch Beamline picks for it, and runs only that branch', () => {
    const p = exportTo(join(FIXTURES, 'graphs/split.json'));
    const users = ['ann', 'bob', 7, 'Zoë', '東京', 'carol', 'dave', 'erin', 'frank', 'grace'];
    const r = runUnderStandin({ app_dir: join(p.dir, 'app'), serve_config: join(p.dir, 'serve-config.yaml'), fakes: {}, requests: users.map((user) => ({ text: 'Hi', user })) }, {});
    const node = p.plan.nodes.route;
    const beamline = users.map((user) => Object.keys(splitNode(node, { in: 'Hi' }, { text: 'Hi', user }))[0]);
    expect(r.responses.map((x) => (Object.hasOwn(x.body as object, 'greeting') ? 'greet' : 'rest'))).toEqual(beamline);
    expect(new Set(beamline).size).toBe(2);
    expect(r.events.filter((e) => e.event === 'start')).toHaveLength(users.length);
  });

  it('the serve-config README commands work as written: the folders come from the environment serve run starts in', () => {
    const r = exportGraph(readFileSync(join(ROOT, 'examples/rag/graph.json'), 'utf8'), { target: 'serve-config' });
    const dir = tempDir('quickstart');
    writeExport(dir, r, { modelsDir: dir, dataDir: dir, copyAssets: true });
    const readme = r.files.get('README.md')!;
    // The documented commands, run as written from the export directory.
    const exported = /^export (BEAMLINE_MODELS_DIR=\S+ BEAMLINE_DATA_DIR=\S+)$/m.exec(readme);
    expect(exported, 'README exports the folders').not.toBeNull();
    const env = Object.fromEntries(exported![1].split(' ').map((kv) => kv.split('=') as [string, string]).map(([k, v]) => [k, v.replace('$PWD', dir)]));
    const run = /^cd (\S+) && serve run (\S+)/m.exec(readme)!;
    writeIndex(env.BEAMLINE_DATA_DIR, 'rag', [[1, 0, 0, 0], [0, 1, 0, 0]], ['Beamline is written in TypeScript.', 'Bananas are yellow.']);
    const appDir = join(dir, run[1]);
    const out = runUnderStandin({ app_dir: appDir, serve_config: join(appDir, run[2]), fakes: fakes(r.plan, [1, 0, 0, 0]), requests: [{ query: 'What is Beamline written in?' }] }, env);
    expect(out.responses[0].status, JSON.stringify(out.responses[0].body)).toBe(200);
    // The real Python retriever read the index under $PWD/data: the Serve config did not send it to /home/ray/data.
    expect(out.faked).not.toContain('retrieve');
    expect(readFileSync(join(dir, 'serve-config.yaml'), 'utf8')).not.toMatch(/BEAMLINE_(MODELS|DATA)_DIR/);
  });

  it('several graphs export to one Serve config, an application and a module each, and each runs', () => {
    const graphs = ['parallel', 'switch'].map((n) => JSON.parse(readFileSync(join(FIXTURES, `graphs/${n}.json`), 'utf8')));
    const r = exportGraphs(graphs, { target: 'rayservice' });
    const dir = tempDir('multi');
    writeExport(dir, r, { modelsDir: dir, dataDir: dir, copyAssets: true });
    const cfg = load(readFileSync(join(dir, 'serve-config.yaml'), 'utf8')) as { applications: { name: string; import_path: string; route_prefix: string }[] };
    expect(cfg.applications.map((a) => [a.name, a.import_path, a.route_prefix])).toEqual([
      [graphs[0].name, `beamline_app_${graphs[0].name}:app`, graphs[0].routePrefix],
      [graphs[1].name, `beamline_app_${graphs[1].name}:app`, graphs[1].routePrefix],
    ]);
    const parallel = runUnderStandin(
      { app_dir: join(dir, 'app'), serve_config: join(dir, 'serve-config.yaml'), module: `beamline_app_${graphs[0].name}`, application: graphs[0].name, fakes: fakes(r.plans[0], [1]), requests: [{ text: 'Mail bob@example.com' }] },
      { BEAMLINE_MODELS_DIR: join(dir, 'models') },
    );
    expect(parallel.responses[0].status).toBe(200);
    expect(Object.keys(parallel.responses[0].body as object).sort()).toEqual(['entities', 'sentiment']);
    const routed = runUnderStandin({ app_dir: join(dir, 'app'), serve_config: join(dir, 'serve-config.yaml'), module: `beamline_app_${graphs[1].name}`, application: graphs[1].name, fakes: {}, requests: [{ text: 'hello' }] }, {});
    expect(routed.responses.map((x) => x.body)).toEqual([{ greeting: 'hello' }]);
  });
});

