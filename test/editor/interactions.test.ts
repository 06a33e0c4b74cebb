/**
 * The canvas tools without a browser: quick add from a dropped connection, groups and notes,
 * edge reconnects, the name -> route rule, toolbar messages, backend-dependent form fields,
 * placeholders for unknown kinds, note Markdown, the console's request body, the `?` shortcut.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { composeBody, imageFields } from '../../editor/lib/console-input.js';
import { applies, describeWhen } from '../../editor/lib/form.js';
import { renamePatch } from '../../editor/lib/graph-meta.js';
import { afterDrop, drawnEdges, FRAME_PAD, FRAME_TITLE, frameOf, type Group, hiddenMembers, makeGroup, pruneGroups } from '../../editor/lib/groups.js';
import { BUILTIN_KIND_INFO, catalogWith, kindFromRemote, type RemoteKind } from '../../editor/lib/kinds.js';
import { inline, markdown } from '../../editor/lib/markdown.js';
import { noticeLifetime, noticeStale } from '../../editor/lib/notices.js';
import { placeholderHandles, placeholderPorts } from '../../editor/lib/placeholder.js';
import { connectionTo, kindsFor } from '../../editor/lib/quick-add.js';
import { matchesShortcut } from '../../editor/lib/shortcuts.js';
import { canUndo, redo, startStore, undo, useEditor } from '../../editor/store/graph.js';
import { describeKind } from '../../shared/catalog/describe.js';
import { builtinCatalog } from '../../shared/catalog/index.js';
import { GraphSchema } from '../../shared/graph.js';

const ROOT = resolve(import.meta.dirname, '../..');
const rag = GraphSchema.parse(JSON.parse(readFileSync(join(ROOT, 'examples/rag/graph.json'), 'utf8')));
const st = () => useEditor.getState();
// Derived fields (errors, unsaved) and stale notices, as main.tsx starts them.
startStore();
const steps = () => useEditor.temporal.getState().pastStates.length;
const box = (x: number, y: number, width = 100, height = 50) => ({ x, y, width, height });

describe('quick add from a dropped connection', () => {
  it('offers the kinds whose input takes the port type, with the port that fits best', () => {
    const fromText = kindsFor({ node: 'input', port: 'query', side: 'source', type: 'text' }, BUILTIN_KIND_INFO, new Set(['input']));
    const byKind = Object.fromEntries(fromText.map((c) => [c.kind.kind, c.port.name]));
    expect(byKind).toMatchObject({ embedder: 'text', preprocessor: 'text', llm: 'prompt', output: 'in', retriever: 'query' });
    // The input is there already (one per graph) and takes nothing.
    expect(byKind.input).toBeUndefined();
    const fromVector = kindsFor({ node: 'e', port: 'vector', side: 'source', type: 'vector' }, BUILTIN_KIND_INFO).map((c) => c.kind.kind);
    expect(fromVector).toContain('retriever');
    expect(fromVector).not.toContain('embedder');
    expect(fromVector).not.toContain('llm');
  });

  it('dragged from an input, offers the kinds whose output gives that type', () => {
    const choices = kindsFor({ node: 'r', port: 'vector', side: 'target', type: 'vector' }, BUILTIN_KIND_INFO);
    expect(choices.map((c) => [c.kind.kind, c.port.name])).toContainEqual(['embedder', 'vector']);
    expect(choices.map((c) => c.kind.kind)).not.toContain('preprocessor');
    expect(connectionTo({ node: 'r', port: 'vector', side: 'target', type: 'vector' }, 'embedder', 'vector')).toEqual({ source: 'embedder', sourceHandle: 'vector', target: 'r', targetHandle: 'vector' });
  });
});

describe('groups', () => {
  const boxes = new Map([
    ['a', box(0, 0)],
    ['b', box(200, 100)],
    ['c', box(600, 0)],
    ['note:n', box(0, 300, 200, 80)],
  ]);
  const g: Group = { id: 'g', title: 'G', nodes: ['a', 'b'] };

  it('draws the frame around the members, still while one is dragged out', () => {
    expect(frameOf(g, boxes)).toEqual({ x: -FRAME_PAD, y: -FRAME_PAD - FRAME_TITLE, width: 300 + 2 * FRAME_PAD, height: 150 + 2 * FRAME_PAD + FRAME_TITLE });
    expect(frameOf(g, boxes, new Set(['b']))).toEqual(frameOf({ ...g, nodes: ['a'] }, boxes));
    expect(frameOf({ ...g, nodes: ['gone'] }, boxes)).toBeUndefined();
  });

  it('lets a dropped node join the frame it lands in, and leave the one it is dragged out of', () => {
    const other: Group = { id: 'h', title: 'H', nodes: ['c', 'd'] };
    // c dropped at a point inside g's frame: it leaves h and joins g.
    const moved = new Map(boxes).set('c', box(80, 40, 40, 20)).set('d', box(600, 200));
    expect(afterDrop([g, other], ['c'], moved)).toEqual([{ ...g, nodes: ['a', 'b', 'c'] }, { ...other, nodes: ['d'] }]);
    // A group's only member dragged is the group moving: it stays in it.
    expect(afterDrop([g, { ...other, nodes: ['c'] }], ['c'], moved)).toEqual([g, { ...other, nodes: ['c'] }]);
    // b dragged far away leaves g.
    const away = new Map(boxes).set('b', box(900, 900));
    expect(afterDrop([g], ['b'], away)).toEqual([{ ...g, nodes: ['a'] }]);
    // The whole group dragged together stays together.
    expect(afterDrop([g], ['a', 'b'], away)).toEqual([g]);
    // A note joins as a note.
    const note = new Map(boxes).set('note:n', box(50, 50, 40, 20));
    expect(afterDrop([g], ['note:n'], note)).toEqual([{ ...g, notes: ['n'] }]);
  });

  it('groups a selection out of other groups, prunes missing members, hides a collapsed group and draws its edges to its box', () => {
    expect(makeGroup([g], ['b', 'c', 'note:n'], 'g2', 'Two')).toEqual([
      { ...g, nodes: ['a'] },
      { id: 'g2', title: 'Two', nodes: ['b', 'c'], notes: ['n'] },
    ]);
    expect(pruneGroups([g, { id: 'x', title: 'X', nodes: ['zz'] }], (k) => k === 'a')).toEqual([{ ...g, nodes: ['a'] }]);
    const closed = { ...g, collapsed: true };
    expect([...hiddenMembers([closed])]).toEqual(['a', 'b']);
    const edges = [
      { id: 'ab', source: 'a', sourceHandle: 'o', target: 'b', targetHandle: 'i' },
      { id: 'bc', source: 'b', sourceHandle: 'o', target: 'c', targetHandle: 'i' },
      { id: 'cd', source: 'c', sourceHandle: 'o', target: 'd', targetHandle: 'i' },
    ];
    const drawn = drawnEdges(edges, [closed]);
    expect((drawn[0] as { hidden?: boolean }).hidden).toBe(true);
    expect(drawn[1]).toMatchObject({ id: 'bc', source: 'group:g', sourceHandle: null, target: 'c', targetHandle: 'i' });
    expect(drawn[2]).toBe(edges[2]);
  });
});

describe('small rules', () => {
  it('moves the route prefix with the name until the prefix is edited', () => {
    expect(renamePatch({ name: 'untitled', routePrefix: '/untitled' }, 'summarise')).toEqual({ name: 'summarise', routePrefix: '/summarise' });
    expect(renamePatch({ name: 'rag', routePrefix: '/api/rag' }, 'rag2')).toEqual({ name: 'rag2' });
  });

  it('ends a message when its cause is gone', () => {
    expect(noticeStale('edit', { edited: true, errors: 3 })).toBe(true);
    expect(noticeStale('edit', { edited: false, errors: 0 })).toBe(false);
    expect(noticeStale('errors', { edited: true, errors: 2 })).toBe(false);
    expect(noticeStale('errors', { edited: false, errors: 0 })).toBe(true);
    expect(noticeStale(undefined, { edited: true, errors: 0 })).toBe(false);
    expect(noticeLifetime('error', 'errors')).toBeNull();
    expect(noticeLifetime('ok')).toBeGreaterThan(0);
  });

  it('shows an LLM field only for the backends that read it, from the schema the server serves', () => {
    // The same schema GET /api/catalog serves, so a custom kind with `when` gets the same form.
    const schema = kindFromRemote(describeKind(builtinCatalog.get('llm')!, false) as unknown as RemoteKind).configSchema;
    const props = schema.properties!;
    const backend = (b: string | undefined) => (name: string) => (name === 'backend' ? (b ?? props.backend.default) : undefined);
    expect(props.backend.default).toBe('extractive');
    const shown = (b?: string) => Object.keys(props).filter((k) => applies(props[k], backend(b)));
    expect(shown()).toEqual(['backend', 'model', 'maxSentences']);
    expect(shown('openai')).toEqual(expect.arrayContaining(['baseUrl', 'apiKeyEnv', 'systemPrompt', 'promptTemplate', 'temperature']));
    expect(shown('openai')).not.toContain('maxSentences');
    expect(shown('openai')).not.toContain('topK');
    expect(shown('onnx')).toContain('topK');
    expect(describeWhen(props.baseUrl)).toBe('backend openai');
    // A custom kind's schema with `when` still becomes a zod schema for the editor's checks.
    expect(() => catalogWith([{ kind: 'x', config: schema }])).not.toThrow();
  });

  it('gives a node of an unknown kind the ports its edges name', () => {
    const edges = [
      { source: 'clean', sourceHandle: 'text', target: 'stats', targetHandle: 'text' },
      { source: 'stats', sourceHandle: 'stats', target: 'output', targetHandle: 'in' },
    ];
    const ports = placeholderPorts(placeholderHandles('stats', edges));
    expect(ports.inputs.map((p) => [p.name, p.type])).toEqual([['text', 'any']]);
    expect(ports.outputs.map((p) => [p.name, p.type])).toEqual([['stats', 'any']]);
  });

  it('renders note Markdown as a tree, never as HTML', () => {
    expect(markdown('# Title\nSome **bold** and *it*.\n\n- one\n- `two`\n\n1. first')).toEqual([
      { t: 'h', level: 1, c: [{ t: 'text', v: 'Title' }] },
      { t: 'p', c: [{ t: 'text', v: 'Some ' }, { t: 'b', c: [{ t: 'text', v: 'bold' }] }, { t: 'text', v: ' and ' }, { t: 'i', c: [{ t: 'text', v: 'it' }] }, { t: 'text', v: '.' }] },
      { t: 'ul', items: [[{ t: 'text', v: 'one' }], [{ t: 'code', v: 'two' }]] },
      { t: 'ol', items: [[{ t: 'text', v: 'first' }]] },
    ]);
    expect(inline('[docs](https://example.com) <b>x</b> [bad](javascript:alert(1))')).toEqual([
      { t: 'a', href: 'https://example.com', c: [{ t: 'text', v: 'docs' }] },
      { t: 'text', v: ' <b>x</b> [bad](javascript:alert(1))' },
    ]);
    expect(inline('snake_case_name')).toEqual([{ t: 'text', v: 'snake_case_name' }]);
  });

  it('builds the console body from text and picked images', () => {
    const ports = [
      { name: 'image', type: 'image' as const, description: '' },
      { name: 'body', type: 'json' as const, description: '' },
    ];
    expect(imageFields(ports)).toEqual(['image']);
    expect(composeBody('', ports, { image: 'data:image/png;base64,AAAA' })).toEqual({ image: 'data:image/png;base64,AAAA' });
    const both = [{ name: 'question', type: 'text' as const, description: '' }, ...ports];
    expect(composeBody('what is this?', both, { image: 'data:x' })).toEqual({ question: 'what is this?', image: 'data:x' });
    expect(composeBody('{"question": "q", "k": 2}', both, { image: 'data:x' })).toEqual({ question: 'q', k: 2, image: 'data:x' });
    expect(composeBody('hello', [])).toEqual({ query: 'hello' });
  });

  it('matches "?" however the layout types it', () => {
    const key = (k: string, shift: boolean) => ({ key: k, shiftKey: shift, ctrlKey: false, metaKey: false, altKey: false });
    expect(matchesShortcut(key('?', true), '?', false)).toBe(true);
    expect(matchesShortcut(key('?', false), '?', false)).toBe(true);
    expect(matchesShortcut({ ...key('?', true), ctrlKey: true }, '?', false)).toBe(false);
    // Letters still need their Shift.
    expect(matchesShortcut(key('L', true), 'L', false)).toBe(false);
  });
});

describe('store: notes, groups, reconnects', () => {
  beforeEach(() => st().newGraph());

  it('keeps notes and groups through load and export, dropping members the graph lacks', () => {
    const doc = {
      ...rag,
      notes: [{ id: 'n1', text: '**hi**', position: { x: 1, y: 2 }, width: 240 }],
      groups: [{ id: 'g1', title: 'Retrieval', nodes: ['embed', 'retrieve', 'ghost'], notes: ['n1'], collapsed: true }],
    };
    st().load(doc);
    const out = st().exportGraph();
    expect(out.notes).toEqual(doc.notes);
    expect(out.groups).toEqual([{ ...doc.groups[0], nodes: ['embed', 'retrieve'] }]);
    // A graph without them is saved as before: no empty arrays.
    st().load(rag);
    expect('notes' in st().exportGraph()).toBe(false);
    expect('groups' in st().exportGraph()).toBe(false);
  });

  it('adds, edits and groups as one undo step each; dragging a frame moves its members in one step', () => {
    st().load(rag);
    const note = st().addNote({ x: 0, y: -200 }, 'first');
    st().setNoteText(note, '# Retrieval');
    st().select(['embed', 'retrieve']);
    const g = st().groupSelection('Retrieval')!;
    expect(st().groups).toEqual([{ id: g, title: 'Retrieval', nodes: ['embed', 'retrieve'] }]);
    expect(steps()).toBe(3);
    const before = Object.fromEntries(st().nodes.map((n) => [n.id, n.position]));
    // React Flow drags the frame node: its members follow by the same amount.
    st().dragStart();
    const frame = { x: before.embed.x - FRAME_PAD, y: Math.min(before.embed.y, before.retrieve.y) - FRAME_PAD - FRAME_TITLE };
    st().onNodesChange([{ type: 'position', id: `group:${g}`, position: { x: frame.x + 40, y: frame.y + 10 }, dragging: true } as never]);
    st().dragStop([`group:${g}`]);
    const after = Object.fromEntries(st().nodes.map((n) => [n.id, n.position]));
    expect(after.embed).toEqual({ x: before.embed.x + 40, y: before.embed.y + 10 });
    expect(after.retrieve).toEqual({ x: before.retrieve.x + 40, y: before.retrieve.y + 10 });
    expect(after.input).toEqual(before.input);
    expect(steps()).toBe(4);
    st().toggleGroup(g);
    expect(st().groups[0].collapsed).toBe(true);
    undo();
    expect(st().groups[0].collapsed).toBeUndefined();
    undo();
    expect(st().nodes.find((n) => n.id === 'embed')!.position).toEqual(before.embed);
    undo();
    expect(st().groups).toEqual([]);
    redo();
    expect(st().groups).toHaveLength(1);
  });

  it('deletes a selected frame but keeps its members; deleting members empties and drops it', () => {
    st().load(rag);
    st().select(['embed', 'retrieve']);
    const g = st().groupSelection()!;
    st().selectItem('group', `group:${g}`);
    st().deleteSelection();
    expect(st().groups).toEqual([]);
    expect(st().nodes.map((n) => n.id)).toContain('embed');
    st().select(['embed']);
    st().groupSelection();
    st().select(['embed']);
    st().deleteSelection();
    expect(st().groups).toEqual([]);
  });

  it('reconnects an edge end to another port in one step, refuses a bad one, and detaches', () => {
    st().load(rag);
    const edge = st().edges.find((e) => e.target === 'answer' && e.targetHandle === 'context')!;
    expect(edge).toBeDefined();
    const count = st().edges.length;
    // Moving the edge's source end to another documents output: the single-input rule does not count the edge itself.
    st().startReconnect(edge.id);
    expect(st().checkConnection({ source: edge.source, sourceHandle: edge.sourceHandle, target: 'answer', targetHandle: 'context' }).ok).toBe(true);
    st().startReconnect(null);
    expect(st().reconnect(edge.id, { source: 'embed', sourceHandle: 'vector', target: 'answer', targetHandle: 'context' })).toBe(false);
    expect(st().notice?.text).toMatch(/gives vector but answer.context takes documents/);
    expect(st().edges.find((e) => e.id === edge.id)).toBeDefined();
    expect(st().reconnect(edge.id, { source: 'input', sourceHandle: 'query', target: 'answer', targetHandle: 'prompt' })).toBe(false);
    st().removeEdge(edge.id);
    expect(st().edges).toHaveLength(count - 1);
    undo();
    expect(st().edges).toHaveLength(count);
  });

  it('adds a node already connected to the dropped connection as one undo step', () => {
    st().addNode('input', { x: 0, y: 0 });
    const before = steps();
    const id = st().addConnected('embedder', { x: 300, y: 0 }, { node: 'input', port: 'query', side: 'source', type: 'text' }, 'text');
    expect(id).toBe('embedder');
    expect(st().edges.map((e) => [e.source, e.sourceHandle, e.target, e.targetHandle])).toEqual([['input', 'query', 'embedder', 'text']]);
    expect(steps()).toBe(before + 1);
    undo();
    expect(st().nodes.map((n) => n.id)).toEqual(['input']);
    expect(st().edges).toEqual([]);
    expect(canUndo()).toBe(true);
  });

  it('clears a refused connection message at the next edit, and a deploy error message once the errors are gone', () => {
    st().addNode('input', { x: 0, y: 0 });
    st().addNode('retriever', { x: 300, y: 0 });
    st().connect({ source: 'input', sourceHandle: 'query', target: 'retriever', targetHandle: 'vector' });
    expect(st().notice?.text).toMatch(/^Connection refused/);
    st().select(['input']);
    expect(st().notice).not.toBeNull();
    st().addNode('embedder', { x: 0, y: 200 });
    expect(st().notice).toBeNull();
    st().setServerErrors([{ code: 'invalid_document', path: '$', message: 'bad' }]);
    st().notify('Deploy failed: 1 error', 'error', 'errors');
    expect(st().notice).not.toBeNull();
    st().setServerErrors([]);
    useEditor.setState({ errors: [] });
    expect(st().notice).toBeNull();
  });
});
