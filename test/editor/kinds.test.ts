import { describe, expect, it } from 'vitest';
import { BUILTIN_KIND_INFO, catalogWith, groupKinds, kindFromRemote } from '../../editor/lib/kinds.js';
import { previewCluster, previewPlacement } from '../../editor/lib/preview.js';
import { builtinCatalog } from '../../shared/catalog/index.js';

const byKind = Object.fromEntries(BUILTIN_KIND_INFO.map((k) => [k.kind, k]));

describe('kinds for the palette and forms', () => {
  it('has every catalog kind with a JSON Schema config carrying defaults and descriptions', () => {
    expect(BUILTIN_KIND_INFO.map((k) => k.kind)).toEqual(builtinCatalog.list().map((k) => k.kind));
    const topK = byKind.retriever.configSchema.properties!.topK;
    expect(topK).toMatchObject({ type: 'integer', default: 5, minimum: 1 });
    expect(topK.description).toMatch(/Documents returned/);
    expect(byKind.embedder.deploymentDefaults).toMatchObject({ batching: { maxBatchSize: 32 } });
  });

  it('offers deployment.multiplex only where the catalog declares a model folder field', () => {
    expect(BUILTIN_KIND_INFO.filter((k) => k.multiplexable).map((k) => k.kind)).toEqual(['embedder', 'reranker', 'llm', 'classifier', 'ner']);
    expect(kindFromRemote({ kind: 'shout' }).multiplexable).toBe(false);
  });

  it('derives ports from config, falling back to defaults while the config is invalid', () => {
    expect(byKind.input.ports({ fields: { q: 'text', img: 'image' } }).outputs.map((p) => p.name)).toEqual(['q', 'img', 'body']);
    expect(byKind.input.ports({ fields: { '1bad': 'text' } }).outputs.map((p) => p.name)).toEqual(['query', 'body']);
  });

  it('groups by category in catalog order and searches kind, title and description', () => {
    expect(groupKinds(BUILTIN_KIND_INFO, '').map((g) => g.category)).toEqual(['io', 'text', 'models', 'retrieval', 'control', 'custom']);
    expect(groupKinds(BUILTIN_KIND_INFO, 'COSINE')).toEqual([{ category: 'retrieval', kinds: [byKind.retriever] }]);
    expect(groupKinds(BUILTIN_KIND_INFO, 'no such thing')).toEqual([]);
  });

  it('reads a custom kind from GET /api/catalog and checks its config with the served schema', () => {
    const remote = {
      kind: 'shout',
      inputs: [{ name: 'text', type: 'text' as const, description: '' }],
      outputs: [{ name: 'text', type: 'text' as const, description: '' }],
      configSchema: { type: 'object', properties: { times: { type: 'integer', minimum: 1 } }, additionalProperties: false },
    };
    const info = kindFromRemote(remote);
    expect(info).toMatchObject({ kind: 'shout', title: 'shout', category: 'custom', runsIn: 'replica' });
    const cat = catalogWith([remote]);
    expect(cat.get('shout')!.config.safeParse({ times: 2 }).success).toBe(true);
    expect(cat.get('shout')!.config.safeParse({ times: 0 }).success).toBe(false);
    expect(cat.has('embedder')).toBe(true);
  });
});

describe('placement preview', () => {
  const graph = (gpus: number, replicas: number) => ({
    version: 1,
    name: 'p',
    routePrefix: '/p',
    nodes: [
      { id: 'in', kind: 'input', config: {}, deployment: {} },
      { id: 'emb', kind: 'embedder', config: {}, deployment: { numReplicas: replicas, resources: { gpus } } },
      { id: 'out', kind: 'output', config: {}, deployment: {} },
    ],
    edges: [
      { source: 'in', sourceHandle: 'query', target: 'emb', targetHandle: 'text' },
      { source: 'emb', sourceHandle: 'vector', target: 'out', targetHandle: 'in' },
    ],
  });

  it('packs fractional replicas onto N GPUs and reports the rest as PENDING', () => {
    const r = previewPlacement(graph(0.5, 3), previewCluster({ kind: 'gpus', count: 1 }, undefined));
    if (!r.ok) throw new Error('expected a plan');
    expect(r.replicas).toBe(3);
    expect(r.placement.gpus).toHaveLength(1);
    expect(r.placement.gpus[0].replicas.map((x) => x.replica)).toEqual(['emb#0', 'emb#1']);
    expect(r.placement.unplaced.map((u) => u.replica)).toEqual(['emb#2']);
    const two = previewPlacement(graph(0.5, 3), previewCluster({ kind: 'gpus', count: 2 }, undefined));
    expect(two.ok && two.placement.unplaced).toEqual([]);
  });

  it('uses the runtime cluster for "this machine", and says why a graph cannot be previewed', () => {
    const here = { machines: [{ id: 'box', cpus: 2, memoryMb: 4096, gpus: [] }] };
    const r = previewPlacement(graph(0, 3), previewCluster({ kind: 'this' }, here));
    expect(r.ok && r.placement.unplaced.map((u) => u.resource)).toEqual(['cpus']);
    const bad = previewPlacement({ ...graph(0, 1), edges: [] }, previewCluster({ kind: 'this' }, here));
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.errors.map((e) => e.code)).toContain('input_unconnected');
  });
});
