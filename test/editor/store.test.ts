/** The editor's store without a browser: every user edit is one undo step, a drag is one step, selection is none. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { canRedo, canUndo, redo, startStore, undo, useEditor } from '../../editor/store/graph.js';
import { GraphSchema } from '../../shared/graph.js';

const ROOT = resolve(import.meta.dirname, '../..');
const rag = GraphSchema.parse(JSON.parse(readFileSync(join(ROOT, 'examples/rag/graph.json'), 'utf8')));
const st = () => useEditor.getState();
// Derived fields (errors, unsaved) and stale notices, as main.tsx starts them.
startStore();
const steps = () => useEditor.temporal.getState().pastStates.length;

beforeEach(() => st().newGraph());

describe('editor store', () => {
  it('adds, connects and edits as one undo step each, and undoes them in order', () => {
    st().addNode('input', { x: 0, y: 0 });
    st().addNode('embedder', { x: 300, y: 0 });
    expect(st().connect({ source: 'input', sourceHandle: 'query', target: 'embedder', targetHandle: 'text' })).toBe(true);
    st().updateNode('embedder', 'deployment', ['resources', 'gpus'], 0.25);
    expect(steps()).toBe(4);
    expect(st().nodes[1].data.deployment).toEqual({ resources: { gpus: 0.25 } });
    undo();
    expect(st().nodes[1].data.deployment).toEqual({});
    undo();
    expect(st().edges).toHaveLength(0);
    undo();
    expect(st().nodes.map((n) => n.id)).toEqual(['input']);
    redo();
    redo();
    expect(st().edges).toHaveLength(1);
    expect(canRedo()).toBe(true);
  });

  it('refuses an incompatible connection with a notice and no step', () => {
    st().addNode('input', { x: 0, y: 0 });
    st().addNode('retriever', { x: 300, y: 0 });
    const before = steps();
    expect(st().connect({ source: 'input', sourceHandle: 'query', target: 'retriever', targetHandle: 'vector' })).toBe(false);
    expect(st().notice?.text).toBe('Connection refused: input.query gives text but retriever.vector takes vector');
    expect(steps()).toBe(before);
  });

  it('does not record selection or measurement as steps', () => {
    st().load(rag);
    expect(canUndo()).toBe(false);
    st().select(['embed']);
    st().onNodesChange([{ type: 'dimensions', id: 'embed', dimensions: { width: 210, height: 90 } }]);
    st().selectAll();
    expect(canUndo()).toBe(false);
  });

  it('makes a whole drag one step', () => {
    st().load(rag);
    const start = st().nodes.find((n) => n.id === 'embed')!.position;
    st().dragStart();
    for (let i = 1; i <= 20; i++) st().onNodesChange([{ type: 'position', id: 'embed', position: { x: start.x + i * 5, y: start.y + i }, dragging: true }]);
    st().dragStop();
    expect(steps()).toBe(1);
    expect(st().nodes.find((n) => n.id === 'embed')!.position).toEqual({ x: start.x + 100, y: start.y + 20 });
    undo();
    expect(st().nodes.find((n) => n.id === 'embed')!.position).toEqual(start);
  });

  it('deletes the selection with its edges in one step; config edits that remove a port drop its edges', () => {
    st().load(rag);
    st().select(['embed']);
    st().deleteSelection();
    expect(st().nodes.map((n) => n.id)).not.toContain('embed');
    expect(st().edges.some((e) => e.source === 'embed' || e.target === 'embed')).toBe(false);
    undo();
    expect(st().edges).toHaveLength(rag.edges.length);
    // Renaming the input's field removes the "query" port and the edges leaving it.
    st().updateNode('input', 'config', ['fields'], { question: 'text' });
    expect(st().edges.some((e) => e.sourceHandle === 'query')).toBe(false);
    undo();
    expect(st().edges).toHaveLength(rag.edges.length);
  });

  it('exports the exact document it loaded', () => {
    st().load(rag);
    st().select(['embed', 'retrieve']);
    expect(st().exportGraph()).toEqual(rag);
  });

  it('pastes a copy with fresh ids and keeps the internal edge', () => {
    st().load(rag);
    st().select(['embed', 'retrieve']);
    const text = st().copySelection()!;
    expect(st().paste(text)).toBe(2);
    const ids = st().nodes.map((n) => n.id);
    expect(ids).toContain('embed_2');
    expect(ids).toContain('retrieve_2');
    expect(st().edges.some((e) => e.source === 'embed_2' && e.target === 'retrieve_2')).toBe(true);
    expect(st().nodes.filter((n) => n.selected).map((n) => n.id)).toEqual(['embed_2', 'retrieve_2']);
  });

  it('recompiles after a change so errors follow the graph', async () => {
    st().load(rag);
    await expect.poll(() => st().errors.length).toBe(0);
    st().updateNode('embed', 'deployment', ['resources', 'gpus'], 1.5);
    await expect.poll(() => st().errors.map((e) => e.code)).toEqual(['gpu_not_whole']);
    expect(st().errors[0].node).toBe('embed');
  });

  it('adds custom kinds the runtime serves to the palette and to the compiler', () => {
    st().setRemoteKinds([
      {
        kind: 'shout',
        title: 'Shout',
        category: 'custom',
        description: 'Upper-cases text.',
        runsIn: 'replica',
        inputs: [{ name: 'text', type: 'text', description: 'in', required: true }],
        outputs: [{ name: 'text', type: 'text', description: 'out' }],
        configSchema: { type: 'object', properties: { times: { type: 'integer', minimum: 1, default: 1 } } },
      },
    ]);
    expect(st().kinds.map((k) => k.kind)).toContain('shout');
    st().load(rag);
    st().addNode('shout', { x: 0, y: 0 });
    expect(st().connect({ source: 'preprocess', sourceHandle: 'text', target: 'shout', targetHandle: 'text' })).toBe(true);
    st().updateNode('shout', 'config', ['times'], 0);
    return expect.poll(() => st().errors.map((e) => `${e.code} ${e.path}`)).toContain('out_of_range $.nodes[6].config.times');
  });
});

describe('clipboard events', () => {
  /** What the browser hands a copy, cut or paste listener: the event's type and its clipboard. */
  const event = (type: 'copy' | 'cut' | 'paste', text = '') => {
    const data = new Map([['text/plain', text]]);
    const e = { type, prevented: false, clipboardData: { getData: (k: string) => data.get(k) ?? '', setData: (k: string, v: string) => data.set(k, v) }, preventDefault: () => (e.prevented = true) };
    return { e, text: () => data.get('text/plain') ?? '' };
  };
  const fire = async (type: 'copy' | 'cut' | 'paste', text?: string) => {
    const { clipboardEvent } = await import('../../editor/store/commands.js');
    const ev = event(type, text);
    clipboardEvent(ev.e as unknown as ClipboardEvent);
    return { prevented: ev.e.prevented, text: ev.text() };
  };

  it('cuts the selected nodes as graph JSON in one undo step, and pastes them back', async () => {
    st().load(rag);
    expect(await fire('copy')).toEqual({ prevented: false, text: '' });
    st().select(['embed', 'retrieve']);
    const cut = await fire('cut');
    expect(cut.prevented).toBe(true);
    expect(JSON.parse(cut.text).nodes.map((n: { id: string }) => n.id)).toEqual(['embed', 'retrieve']);
    expect(st().nodes.map((n) => n.id)).not.toContain('embed');
    expect(steps()).toBe(1);
    expect((await fire('paste', cut.text)).prevented).toBe(true);
    expect(st().nodes.filter((n) => n.selected).map((n) => n.id)).toEqual(['embed', 'retrieve']);
    expect(st().edges.some((e) => e.source === 'embed' && e.target === 'retrieve')).toBe(true);
    // Text that is not a graph fragment is left to the browser.
    expect((await fire('paste', 'hello')).prevented).toBe(false);
  });
});

describe('console request body', () => {
  it('sends JSON as written, and plain text as the first field of the input node', async () => {
    const { requestBody } = await import('../../editor/api/live.js');
    expect(requestBody('{"query": "hi", "k": 2}', 'query')).toEqual({ query: 'hi', k: 2 });
    expect(requestBody('What is RAG?', 'question')).toEqual({ question: 'What is RAG?' });
    expect(requestBody('{not json', 'text')).toEqual({ text: '{not json' });
    expect(requestBody('hello', undefined)).toEqual({ query: 'hello' });
  });
});
