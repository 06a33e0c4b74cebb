import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { exportGraph } from '../../runtime/export/export.js';
import { exportTemplate } from '../../runtime/kinds.js';
import { compile } from '../../shared/compile.js';
import type { Plan } from '../../shared/plan.js';
import { importServeConfig, ServeImportError } from '../../shared/ray-import.js';
import { exampleGraphs, FIXTURES, SCHEMAS } from './helpers.js';

const exportable = (text: string) => (JSON.parse(text).nodes as { kind: string }[]).every((n) => exportTemplate(n.kind));
const graphs = [
  ...exampleGraphs().filter((g) => exportable(g.text)),
  ...['parallel', 'switch'].map((name) => ({ name, text: readFileSync(join(FIXTURES, `graphs/${name}.json`), 'utf8') })),
];

function planOf(g: unknown): Plan {
  const r = compile(g);
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.plan;
}

/** What a round trip must keep: per node kind, label, position, parsed config and deployment. */
function nodesOf(p: Plan) {
  return Object.fromEntries(
    p.order.map((id) => {
      const doc = p.graph.nodes.find((n) => n.id === id)!;
      return [id, { kind: p.nodes[id].kind, label: doc.label, position: doc.position, config: p.nodes[id].config, deployment: p.nodes[id].deployment }];
    }),
  );
}
const edgeKeys = (p: Plan) => p.graph.edges.map((e) => `${e.source}.${e.sourceHandle}->${e.target}.${e.targetHandle}`).sort();

describe('export then import gives back the graph', () => {
  for (const g of graphs) {
    it(`${g.name}: same nodes, settings and edges from the RayService and the app's Python`, () => {
      const r = exportGraph(g.text, { target: 'rayservice' });
      const { graph, warnings } = importServeConfig(r.files.get('rayservice.yaml')!, { python: r.files.get('app/beamline_app.py')! });
      const before = planOf(g.text);
      const after = planOf(graph);
      expect(nodesOf(after)).toEqual(nodesOf(before));
      expect(edgeKeys(after)).toEqual(edgeKeys(before));
      expect([after.name, after.routePrefix, after.graph.description]).toEqual([before.name, before.routePrefix, before.graph.description]);
      expect(warnings).toEqual([]);
    });
  }

  it('from the Serve config alone: the same nodes and settings, and a warning that edges live in the Python code', () => {
    const text = graphs.find((g) => g.name === 'rag')!.text;
    const r = exportGraph(text, { target: 'serve-config' });
    const { graph, warnings } = importServeConfig(r.files.get('serve-config.yaml')!);
    expect(graph.edges).toEqual([]);
    expect(warnings.join('\n')).toMatch(/edges .*--python/);
    const before = planOf(text);
    for (const n of graph.nodes) {
      const b = before.nodes[n.id];
      expect(n.kind).toBe(b.kind);
      expect(n.config).toEqual(b.config);
    }
    expect(graph.nodes.map((n) => n.id).sort()).toEqual([...before.order].sort());
  });
});

describe('importing Serve configs not written by Beamline', () => {
  it('an exported app whose user_config was dropped: kinds come back from the Python classes, with a note', () => {
    const r = exportGraph(graphs.find((g) => g.name === 'rag')!.text, { target: 'serve-config' });
    const cfg = load(r.files.get('serve-config.yaml')!) as { applications: { deployments: { user_config?: unknown }[] }[] };
    for (const d of cfg.applications[0].deployments) delete d.user_config;
    const { graph, warnings } = importServeConfig(dump(cfg), { python: r.files.get('app/beamline_app.py')! });
    expect(Object.fromEntries(graph.nodes.map((n) => [n.id, n.kind]))).toMatchObject({ preprocess: 'preprocessor', embed: 'embedder', retrieve: 'retriever', answer: 'llm', Ingress: 'ray-deployment' });
    expect(graph.nodes.find((n) => n.id === 'embed')!.deployment).toMatchObject({ batching: { maxBatchSize: 32, batchWaitTimeoutMs: 2 }, maxOngoingRequests: 64 });
    expect(warnings.join('\n')).toMatch(/kind embedder recovered from its class \(EmbedderNode\)/);
  });

  const sample = readFileSync(join(SCHEMAS, 'kuberay/samples/ray-service.sample.yaml'), 'utf8');
  const upgrade = readFileSync(join(SCHEMAS, 'kuberay/samples/ray-service.incremental-upgrade.yaml'), 'utf8');

  it('deployments become Ray deployment nodes with their import path and options, with a note for the other applications', () => {
    const { graph, warnings } = importServeConfig(sample);
    const mango = graph.nodes.find((n) => n.id === 'MangoStand')!;
    expect(mango.kind).toBe('ray-deployment');
    expect(mango.deployment).toMatchObject({ numReplicas: 2, resources: { cpus: 0.1 } });
    expect(mango.config).toEqual({ importPath: 'fruit.deployment_graph', deployment: 'MangoStand', options: { max_replicas_per_node: 1, num_replicas: 2, user_config: { price: 3 }, ray_actor_options: { num_cpus: 0.1 } } });
    expect(warnings.join('\n')).toMatch(/2 applications \(fruit_app, math_app\)/);
    // Kept for export, and named: max_replicas_per_node has no Beamline setting.
    expect(warnings.join('\n')).toMatch(/deployment MangoStand: max_replicas_per_node, user_config \(in the node's options\)/);
    expect(warnings.join('\n')).toMatch(/edges guessed, with the last deployment \(FruitMarket\) as the ingress/);
    expect(importServeConfig(sample, { application: 'math_app' }).graph.nodes.map((n) => n.id)).toEqual(['input', 'Adder', 'Multiplier', 'Router', 'output']);
  });

  it('autoscaling_config comes back in milliseconds', () => {
    const { graph } = importServeConfig(upgrade);
    expect(graph.nodes.find((n) => n.id === 'FruitMarket')!.deployment).toMatchObject({ autoscaling: { minReplicas: 1, maxReplicas: 3 }, maxOngoingRequests: 100, resources: { cpus: 0.5 } });
  });

  it('--python: .bind() calls become call edges and @serve.batch is named; the graph compiles', () => {
    const python = `
from ray import serve

@serve.deployment
class MangoStand:
    pass

@serve.deployment(name="OrangeStand")
class Orange:
    @serve.batch(max_batch_size=4, batch_wait_timeout_s=0.05)
    async def handle(self, items):
        return items

@serve.deployment
class PearStand:
    pass

@serve.deployment
class FruitMarket:
    def __init__(self, mango, orange, pear):
        pass

mango = MangoStand.bind()
deployment_graph = FruitMarket.bind(mango, Orange.bind(), PearStand.options(name="PearStand").bind())
`;
    const { graph, warnings } = importServeConfig(sample, { python });
    const edges = graph.edges.map((e) => `${e.source}->${e.target}`).sort();
    expect(edges).toEqual(['FruitMarket->MangoStand', 'FruitMarket->OrangeStand', 'FruitMarket->PearStand', 'FruitMarket->output', 'input->FruitMarket'].sort());
    expect(warnings.join('\n')).toMatch(/deployment "OrangeStand" batches with @serve.batch\(max_batch_size=4, batch_wait_timeout_s=0.05\) in its Python code/);
    expect(graph.nodes.find((n) => n.id === 'OrangeStand')!.config).toMatchObject({ importPath: 'fruit.deployment_graph', deployment: 'OrangeStand' });
    const r = compile(graph);
    expect(r.ok, JSON.stringify(r.errors)).toBe(true);
  });

  it('bad files are refused with the reason and where', () => {
    expect(() => importServeConfig('applications: [')).toThrow(ServeImportError);
    expect(() => importServeConfig('kind: RayCluster\napiVersion: ray.io/v1\n')).toThrow(/RayCluster holds no Serve config/);
    expect(() => importServeConfig('kind: RayService\nspec: {}\n')).toThrow(/\$\.spec\.serveConfigV2/);
    expect(() => importServeConfig(sample, { application: 'nope' })).toThrow(/no application named "nope" \(have: fruit_app, math_app\)/);
    expect(() => importServeConfig('foo: 1\n')).toThrow(/not a Ray Serve config/);
  });
});
