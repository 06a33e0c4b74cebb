/** Notes and groups belong to the canvas: the compiler, the runtime's plan and the Ray export ignore them; the editor's round trip keeps them. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportGraph } from '../../runtime/export/export.js';
import { compile } from '../../shared/compile.js';
import { diffGraphs } from '../../shared/graph-diff.js';
import { GraphSchema } from '../../shared/graph.js';

const ROOT = resolve(import.meta.dirname, '../..');
const ragText = readFileSync(join(ROOT, 'examples/rag/graph.json'), 'utf8');
const rag = JSON.parse(ragText);
const annotated = {
  ...rag,
  notes: [{ id: 'why', text: '# Retrieval\nThe **embedder** and the index must match.', position: { x: 10, y: -120 }, width: 260 }],
  groups: [{ id: 'retrieval', title: 'Retrieval', nodes: ['embed', 'retrieve'], notes: ['why'], collapsed: true }],
};

describe('notes and groups in the graph document', () => {
  it('are part of the schema and refused when malformed, with the field named', () => {
    expect(GraphSchema.safeParse(annotated).success).toBe(true);
    const bad = compile({ ...annotated, groups: [{ id: 'g', title: 'x', nodes: 'embed' }] });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors.map((e) => e.path)).toContain('$.groups[0].nodes');
  });

  it('are ignored by the compiler: the same plan as without them', () => {
    const a = compile(rag);
    const b = compile(annotated);
    expect(a.ok && b.ok).toBe(true);
    if (!a.ok || !b.ok) return;
    expect(b.plan.order).toEqual(a.plan.order);
    expect(b.plan.nodes).toEqual(a.plan.nodes);
    expect(b.plan.stages).toEqual(a.plan.stages);
  });

  it('are ignored by the Ray export: every file is the same as without them', () => {
    for (const target of ['rayservice', 'serve-config'] as const) {
      const a = exportGraph(JSON.stringify(rag), { target });
      const b = exportGraph(JSON.stringify(annotated), { target });
      expect([...b.files.keys()].sort()).toEqual([...a.files.keys()].sort());
      for (const [name, text] of a.files) expect(b.files.get(name), `${target} ${name}`).toBe(text);
    }
  });

  it('count as unsaved edits but never as a change that serves', () => {
    const d = diffGraphs(GraphSchema.parse(rag), GraphSchema.parse(annotated));
    expect(d.same).toBe(false);
    expect(d.layoutOnly).toBe(true);
    expect(diffGraphs(GraphSchema.parse(annotated), GraphSchema.parse(annotated)).same).toBe(true);
  });
});
