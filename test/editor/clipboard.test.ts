import { describe, expect, it } from 'vitest';
import { copyFragment, parseFragment, placeFragment } from '../../editor/lib/clipboard.js';
import { uniqueId } from '../../editor/lib/ids.js';
import type { GraphEdge, GraphNode } from '../../shared/graph.js';

const n = (id: string, x = 0, y = 0): GraphNode => ({ id, kind: 'embedder', position: { x, y }, config: { maxLength: 64 }, deployment: { numReplicas: 2 } });
const e = (source: string, target: string): GraphEdge => ({ source, sourceHandle: 'vector', target, targetHandle: 'vector' });

describe('clipboard as graph JSON', () => {
  it('copies the selected nodes and only the edges between them', () => {
    const text = copyFragment([n('a'), n('b'), n('c')], [e('a', 'b'), e('b', 'c')], new Set(['a', 'b']));
    const doc = JSON.parse(text);
    expect(doc.nodes.map((x: GraphNode) => x.id)).toEqual(['a', 'b']);
    expect(doc.edges).toEqual([e('a', 'b')]);
  });

  it('round-trips through text and renames clashing ids, keeping edges attached', () => {
    const frag = parseFragment(copyFragment([n('a', 10, 20), n('b', 50, 20)], [e('a', 'b')], new Set(['a', 'b'])))!;
    const placed = placeFragment(frag, new Set(['a', 'b', 'b_2']));
    expect(placed.nodes.map((x) => x.id)).toEqual(['a_2', 'b_3']);
    expect(placed.nodes[0].position).toEqual({ x: 50, y: 60 });
    expect(placed.nodes[0].config).toEqual({ maxLength: 64 });
    expect(placed.edges).toEqual([{ id: 'a_2.vector->b_3.vector', source: 'a_2', sourceHandle: 'vector', target: 'b_3', targetHandle: 'vector' }]);
  });

  it('moves the fragment so its top-left corner lands at the given point', () => {
    const placed = placeFragment({ nodes: [n('a', 100, 100), n('b', 300, 150)], edges: [] }, new Set(), { x: 0, y: 0 });
    expect(placed.nodes.map((x) => x.position)).toEqual([
      { x: 0, y: 0 },
      { x: 200, y: 50 },
    ]);
  });

  it('accepts a whole graph document and ignores anything else', () => {
    const graph = { version: 1, name: 'g', routePrefix: '/g', nodes: [n('a')], edges: [e('a', 'ghost')] };
    expect(parseFragment(JSON.stringify(graph))).toEqual({ nodes: [n('a')], edges: [] });
    expect(parseFragment('hello')).toBeUndefined();
    expect(parseFragment('{"nodes": []}')).toBeUndefined();
    expect(parseFragment('{"nodes": [{"id": "1bad", "kind": "x"}]}')).toBeUndefined();
  });
});

describe('uniqueId', () => {
  it('keeps a free id, numbers taken ones, and makes invalid stems valid', () => {
    expect(uniqueId('embedder', new Set())).toBe('embedder');
    expect(uniqueId('embedder', new Set(['embedder', 'embedder_2']))).toBe('embedder_3');
    expect(uniqueId('embedder_2', new Set(['embedder_2']))).toBe('embedder');
    expect(uniqueId('9 lives', new Set())).toBe('n_9_lives');
  });
});
