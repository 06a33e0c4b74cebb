import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { exportGraph } from '../../runtime/export/export.js';
import { compile } from '../../shared/compile.js';
import { importServeConfig } from '../../shared/ray-import.js';
import { FIXTURES, type Yaml } from './helpers.js';

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
