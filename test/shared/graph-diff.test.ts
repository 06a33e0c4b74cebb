import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Graph, GraphSchema } from '../../shared/graph.js';
import { diffGraphs } from '../../shared/graph-diff.js';

const rag = (): Graph => GraphSchema.parse(JSON.parse(readFileSync(new URL('../../examples/rag/graph.json', import.meta.url), 'utf8')));
const node = (g: Graph, id: string) => g.nodes.find((n) => n.id === id)!;

describe('diffGraphs', () => {
  it('finds nothing between a graph and a copy with keys in another order', () => {
    const a = rag();
    const b = rag();
    const r = node(b, 'retrieve');
    r.config = Object.fromEntries(Object.entries(r.config).reverse());
    expect(diffGraphs(a, b)).toEqual({ added: [], removed: [], changed: [], edgesAdded: [], edgesRemoved: [], graphFields: [], same: true, layoutOnly: false });
  });

  it('names each changed config and deployment leaf with its dotted path, from and to', () => {
    const a = rag();
    const b = rag();
    node(b, 'retrieve').config.topK = 5;
    node(b, 'embed').deployment = { ...node(b, 'embed').deployment, numReplicas: 2, resources: { cpus: 1 } };
    node(b, 'answer').label = 'Answer it';
    const d = diffGraphs(a, b);
    expect(d.same).toBe(false);
    expect(d.layoutOnly).toBe(false);
    expect(d.changed).toEqual([
      { node: 'embed', field: 'deployment.numReplicas', from: 1, to: 2 },
      { node: 'embed', field: 'deployment.resources.cpus', from: 0.5, to: 1 },
      { node: 'retrieve', field: 'config.topK', from: 3, to: 5 },
      { node: 'answer', field: 'label', from: 'Extractive answerer', to: 'Answer it' },
    ]);
  });

  it('reports a field set on one side only, and arrays compared whole', () => {
    const a = rag();
    const b = rag();
    node(b, 'embed').deployment.maxOngoingRequests = 10;
    delete node(b, 'embed').deployment.batching;
    node(b, 'retrieve').config.extra = [1, 2];
    node(a, 'retrieve').config.extra = [1, 3];
    const d = diffGraphs(a, b);
    expect(d.changed).toEqual([
      { node: 'embed', field: 'deployment.batching', from: { maxBatchSize: 32, batchWaitTimeoutMs: 2 }, to: undefined },
      { node: 'embed', field: 'deployment.maxOngoingRequests', from: undefined, to: 10 },
      { node: 'retrieve', field: 'config.extra', from: [1, 3], to: [1, 2] },
    ]);
  });

  it('lists added and removed nodes and edges by id, and graph fields', () => {
    const a = rag();
    const b = rag();
    b.nodes = b.nodes.filter((n) => n.id !== 'preprocess');
    b.nodes.push({ id: 'rerank', kind: 'reranker', position: { x: 0, y: 0 }, config: {}, deployment: {} });
    b.edges = b.edges.filter((e) => e.source !== 'preprocess' && e.target !== 'preprocess');
    b.edges.push({ source: 'input', sourceHandle: 'query', target: 'embed', targetHandle: 'text' });
    b.routePrefix = '/rag2';
    const d = diffGraphs(a, b);
    expect(d.added).toEqual(['rerank']);
    expect(d.removed).toEqual(['preprocess']);
    expect(d.edgesAdded).toEqual(['input.query->embed.text']);
    expect(d.edgesRemoved).toEqual(['input.query->preprocess.text', 'preprocess.text->embed.text', 'preprocess.text->retrieve.query']);
    expect(d.graphFields).toEqual([{ field: 'routePrefix', from: '/rag', to: '/rag2' }]);
    expect(d.changed).toEqual([]);
  });

  it('calls a diff of moved nodes only layoutOnly, and a kind change a change', () => {
    const a = rag();
    const b = rag();
    node(b, 'answer').position = { x: 1, y: 2 };
    let d = diffGraphs(a, b);
    expect(d).toMatchObject({ same: false, layoutOnly: true, changed: [{ node: 'answer', field: 'position', from: { x: 960, y: 120 }, to: { x: 1, y: 2 } }] });
    node(b, 'answer').kind = 'classifier';
    d = diffGraphs(a, b);
    expect(d.layoutOnly).toBe(false);
    expect(d.changed[0]).toEqual({ node: 'answer', field: 'kind', from: 'llm', to: 'classifier' });
  });

  it('against an empty graph, every node is added', () => {
    const b = rag();
    const empty: Graph = { ...b, nodes: [], edges: [] };
    const d = diffGraphs(empty, b);
    expect(d.added).toEqual(b.nodes.map((n) => n.id));
    expect(d.edgesAdded).toHaveLength(b.edges.length);
    expect(d.same).toBe(false);
  });
});
