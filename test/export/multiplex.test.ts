import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { exportGraph } from '../../runtime/export/export.js';
import { writeExport } from '../../runtime/export/write.js';
import { compile } from '../../shared/compile.js';
import { importServeConfig } from '../../shared/ray-import.js';
import { FIXTURES, ROOT, removeTempDirs, runUnderStandin, tempDir, type Yaml } from './helpers.js';

// A multiplexed node exports as Ray Serve's model multiplexing: a @serve.multiplexed loader
// and serve.get_multiplexed_model_id() in its deployment, the ingress passing each call's
// model id on; its settings travel in user_config and come back on import.

const text = readFileSync(join(FIXTURES, 'graphs/multiplexed.json'), 'utf8');

describe('export of a multiplexed node', () => {
  const r = exportGraph(text, { target: 'serve-config' });
  const app = r.files.get('app/beamline_app.py')!;

  it('writes @serve.multiplexed with the node maxModelsPerReplica and reads the model id with serve.get_multiplexed_model_id()', () => {
    expect(app).toContain('from beamline_nodes.multiplex import batch_by_model, load_model');
    expect(app).toContain('@serve.multiplexed(max_num_models_per_replica=3)');
    expect(app).toContain('@serve.multiplexed(max_num_models_per_replica=2)');
    expect(app.match(/node = await self\.get_model\(serve\.get_multiplexed_model_id\(\)\)/g)).toHaveLength(2);
    // The classifier batches (its kind's default): one batch may mix models, split by batch_by_model.
    expect(app).toContain('return await batch_by_model(items)');
    expect(app).toContain('multiplex_field = "model"');
    expect(r.files.get('app/beamline_nodes/multiplex.py')).toContain('def request_model_id(');
  });

  it('keeps the settings in user_config, tells the ingress which calls name a model, and ships the models folders', () => {
    const cfg = load(r.files.get('serve-config.yaml')!) as Yaml;
    const deps = cfg.applications[0].deployments as Yaml[];
    const classify = deps.find((d) => d.name === 'classify');
    expect(classify.user_config.beamline.multiplex).toEqual({ modelsFolder: 'sentiment-models', maxModelsPerReplica: 3, idField: 'model_id' });
    const ingress = deps.find((d) => d.user_config?.beamline?.calls);
    expect(ingress.user_config.beamline.calls.classify.multiplex).toEqual({ idField: 'model_id' });
    expect(ingress.user_config.beamline.calls.embed.multiplex).toEqual({});
    expect(r.models).toEqual(expect.arrayContaining(['sentiment-models', 'encoders']));
    expect(r.models).not.toContain('builtin:vader-sentiment');
  });

  it('comes back on import with the same multiplex settings', () => {
    const { graph } = importServeConfig(r.files.get('serve-config.yaml')!, { python: app });
    const compiled = compile(graph);
    expect(compiled.ok).toBe(true);
    if (!compiled.ok) return;
    expect(compiled.plan.nodes.classify.deployment.multiplex).toEqual({ modelsFolder: 'sentiment-models', maxModelsPerReplica: 3, idField: 'model_id' });
    expect(compiled.plan.nodes.embed.deployment.multiplex).toEqual({ modelsFolder: 'encoders', maxModelsPerReplica: 2 });
  });
});

describe('the exported multiplexed node under the stand-in for ray.serve', () => {
  afterAll(removeTempDirs);

  it('loads each model once through get_model, evicts the least recently used, and answers 404 and 400 as Beamline does', () => {
    const g = {
      version: 1,
      name: 'sentiments',
      routePrefix: '/sentiments',
      nodes: [
        { id: 'input', kind: 'input', config: { fields: { text: 'text' } } },
        { id: 'classify', kind: 'classifier', config: {}, deployment: { multiplex: { modelsFolder: 'sentiment-models', maxModelsPerReplica: 2, idField: 'model_id' } } },
        { id: 'output', kind: 'output' },
      ],
      edges: [
        { source: 'input', sourceHandle: 'text', target: 'classify', targetHandle: 'text' },
        { source: 'classify', sourceHandle: 'label', target: 'output', targetHandle: 'in' },
      ],
    };
    const r = exportGraph(g, { target: 'serve-config' });
    const dir = tempDir('mux-standin');
    writeExport(dir, r, { modelsDir: dir, dataDir: dir, copyAssets: false });
    // Real model folders (onnxruntime and tokenizers are stubs here, so the node answers with fixed outputs once built).
    const models = tempDir('mux-models');
    for (const id of ['m1', 'm2', 'm3']) cpSync(join(ROOT, 'models', 'vader-sentiment'), join(models, 'sentiment-models', id), { recursive: true });
    const ask = (model_id?: unknown) => ({ text: 'a fine day', ...(model_id !== undefined ? { model_id } : {}) });
    const out = runUnderStandin(
      {
        app_dir: join(dir, 'app'),
        serve_config: join(dir, 'serve-config.yaml'),
        fakes: { classify: { result: { label: 'POSITIVE' }, label: 'POSITIVE' } },
        requests: [ask('m1'), ask('m1'), ask('m2'), ask('m3'), ask('m1'), ask('nope'), ask('../m1'), ask(7), ask()],
      },
      { BEAMLINE_MODELS_DIR: models },
    );
    expect(out.responses.slice(0, 5).map((x) => x.status)).toEqual([200, 200, 200, 200, 200]);
    expect(out.multiplexed.map((e) => `${e.event} ${e.model}`)).toEqual(['load m1', 'load m2', 'load m3', 'evict m1', 'load m1', 'evict m2']);
    expect(out.multiplexed.every((e) => e.deployment === 'classify')).toBe(true);
    const [unknown, path, notString, none] = out.responses.slice(5).map((x) => ({ status: x.status, body: x.body as { code?: string; error: string } }));
    expect(unknown).toMatchObject({ status: 404, body: { code: 'unknown_model', node: 'classify' } });
    expect(unknown.body.error).toContain('"nope"');
    expect(path).toMatchObject({ status: 400, body: { code: 'invalid_model_id', path: '$.model_id' } });
    expect(notString).toMatchObject({ status: 400, body: { code: 'invalid_model_id', path: '$.model_id' } });
    expect(none).toMatchObject({ status: 400, body: { code: 'missing_model_id' } });
    expect(none.body.error).toContain('serve_multiplexed_model_id');
  });
});
