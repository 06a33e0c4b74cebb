/** Document operations on the file format, without the store or React Flow. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addNode, duplicateNodes, edgeKey, fragmentOf, pasteFragment, pruneEdges, removeItems } from '../../editor/lib/document-ops.js';
import { type Graph, GraphSchema } from '../../shared/graph.js';

const ROOT = resolve(import.meta.dirname, '../..');
const rag: Graph = GraphSchema.parse(JSON.parse(readFileSync(join(ROOT, 'examples/rag/graph.json'), 'utf8')));
const ids = (g: Graph) => g.nodes.map((n) => n.id);
const annotated: Graph = {
  ...rag,
  notes: [{ id: 'why', text: 'retrieval', position: { x: 0, y: 0 } }],
  groups: [
    { id: 'search', title: 'Search', nodes: ['embed', 'retrieve'], notes: ['why'] },
    { id: 'reply', title: 'Reply', nodes: ['answer'] },
  ],
};

describe('document operations', () => {
  it('adds a node under a fresh id with empty config and deployment, leaving the graph it was given', () => {
    const { graph, node } = addNode(rag, 'embedder', { x: 10, y: 20 }, 'Embedder');
    expect(node).toEqual({ id: 'embedder', kind: 'embedder', label: 'Embedder', position: { x: 10, y: 20 }, config: {}, deployment: {} });
    expect(addNode(graph, 'embedder', { x: 0, y: 0 }).node.id).toBe('embedder_2');
    expect(ids(graph)).toEqual([...ids(rag), 'embedder']);
    expect(rag.nodes).toHaveLength(graph.nodes.length - 1);
  });

  it('deletes nodes with their edges and group memberships; a group left empty goes, a frame alone keeps its members', () => {
    const g = removeItems(annotated, { nodes: ['answer'] });
    expect(ids(g)).not.toContain('answer');
    expect(g.edges.some((e) => e.source === 'answer' || e.target === 'answer')).toBe(false);
    expect(g.edges).toHaveLength(annotated.edges.filter((e) => e.source !== 'answer' && e.target !== 'answer').length);
    expect(g.groups?.map((x) => x.id)).toEqual(['search']);

    const frame = removeItems(annotated, { groups: ['search'] });
    expect(frame.nodes).toEqual(annotated.nodes);
    expect(frame.groups?.map((x) => x.id)).toEqual(['reply']);

    const note = removeItems(annotated, { notes: ['why'], edges: [edgeKey(annotated.edges[0])] });
    expect(note.notes).toBeUndefined();
    expect(note.groups?.[0]).toEqual({ id: 'search', title: 'Search', nodes: ['embed', 'retrieve'], notes: [] });
    expect(note.edges).toEqual(annotated.edges.slice(1));
    // Nothing named that exists: the same graph.
    expect(removeItems(annotated, { nodes: ['nope'], edges: ['x'] })).toBe(annotated);
  });

  it("prunes only the node's edges whose port it no longer has", () => {
    const into = annotated.edges.filter((e) => e.target === 'answer');
    expect(into.length).toBeGreaterThan(1);
    const keep = into[0].targetHandle;
    const g = pruneEdges(annotated, 'answer', { inputs: [{ name: keep }], outputs: [{ name: 'result' }] });
    expect(g.edges.filter((e) => e.target === 'answer').map((e) => e.targetHandle)).toEqual(into.filter((e) => e.targetHandle === keep).map((e) => e.targetHandle));
    expect(g.edges.filter((e) => e.target !== 'answer')).toEqual(annotated.edges.filter((e) => e.target !== 'answer'));
    const all = { inputs: into.map((e) => ({ name: e.targetHandle })), outputs: annotated.edges.filter((e) => e.source === 'answer').map((e) => ({ name: e.sourceHandle })) };
    expect(pruneEdges(annotated, 'answer', all)).toBe(annotated);
  });

  it('pastes a fragment under fresh ids at a point, then moved as one block, keeping its inner edges', () => {
    const frag = fragmentOf(rag, ['embed', 'retrieve']);
    expect(frag.edges).toEqual(rag.edges.filter((e) => e.source === 'embed' && e.target === 'retrieve'));
    const { graph, added } = pasteFragment(rag, frag, { x: 0, y: 0 }, () => ({ x: 5, y: 7 }));
    expect(ids(graph)).toEqual([...ids(rag), 'embed_2', 'retrieve_2']);
    const minX = Math.min(...added.nodes.map((n) => n.position.x));
    const minY = Math.min(...added.nodes.map((n) => n.position.y));
    expect({ minX, minY }).toEqual({ minX: 5, minY: 7 });
    expect(added.edges.map((e) => `${e.source}->${e.target}`)).toEqual(['embed_2->retrieve_2']);
    expect(pasteFragment(rag, { nodes: [], edges: [] }).graph).toBe(rag);
  });

  it('duplicates beside the originals, 40 units down and right', () => {
    const { added } = duplicateNodes(rag, ['embed']);
    const embed = rag.nodes.find((n) => n.id === 'embed')!;
    expect(added.nodes).toEqual([{ ...embed, id: 'embed_2', position: { x: embed.position.x + 40, y: embed.position.y + 40 } }]);
  });
});
