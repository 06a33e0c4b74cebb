import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TraceSpan } from '../../shared/protocol.js';
import type { BeamlineServer } from '../../runtime/server/index.js';
import { Latch } from '../fixtures/nodes/latch.js';
import { graph, post, startServer } from './helpers.js';

let s: BeamlineServer;
beforeAll(async () => {
  s = await startServer();
  const branches = ['a', 'b', 'c'].map((id) => ({ id, kind: 'test-echo', config: { tag: id } }));
  const g = graph('fan', branches, [['input', 'a'], ['input', 'b'], ['input', 'c'], ['a', 'output'], ['b', 'output'], ['c', 'output']]);
  expect((await post(`${s.url}/api/graphs`, g)).status).toBe(201);
});
afterAll(() => s?.close());

it('runs three independent branches at the same time and joins them', async () => {
  // Each branch waits inside its call until the test releases it: all three are there at
  // once only if they run at the same time (a serial executor leaves b and c unstarted).
  const gate = new Latch('fan');
  try {
    const answer = post(`${s.url}/fan?trace=1`, { x: { latch: 'fan' } });
    expect((await gate.until(3)).sort()).toEqual(['a', 'b', 'c']);
    gate.open();
    const r = await answer;
    expect(r.status).toBe(200);
    expect(Object.keys(r.body.output).sort()).toEqual(['a', 'b', 'c']);
    expect(r.body.output.b).toMatchObject({ tag: 'b', value: { latch: 'fan' } });
    const spans = new Map<string, TraceSpan>(r.body.trace.map((t: TraceSpan) => [t.node, t]));
    const branches = ['a', 'b', 'c'].map((id) => spans.get(id)!);
    // The trace shows it: every pair of branch spans overlaps, each starts before the others end.
    for (const x of branches) for (const y of branches) if (x !== y) expect(x.start).toBeLessThan(y.end);
    // The join started only after the last branch ended.
    expect(spans.get('output')!.start).toBeGreaterThanOrEqual(Math.max(...branches.map((b) => b.end)));
  } finally {
    gate.close();
  }
});

it('sends a request down one switch branch only', async () => {
  const g = {
    version: 1,
    name: 'route',
    routePrefix: '/route',
    nodes: [
      { id: 'input', kind: 'input', config: { fields: { x: 'json' } } },
      { id: 'sw', kind: 'switch', config: { path: 'lang', cases: [{ port: 'fr', equals: 'fr' }] } },
      { id: 'french', kind: 'test-echo', config: { tag: 'fr' } },
      { id: 'other', kind: 'test-echo', config: { tag: 'other' } },
      { id: 'output', kind: 'output' },
    ],
    edges: [
      { source: 'input', sourceHandle: 'x', target: 'sw', targetHandle: 'in' },
      { source: 'sw', sourceHandle: 'fr', target: 'french', targetHandle: 'in' },
      { source: 'sw', sourceHandle: 'default', target: 'other', targetHandle: 'in' },
      { source: 'french', sourceHandle: 'out', target: 'output', targetHandle: 'in' },
      { source: 'other', sourceHandle: 'out', target: 'output', targetHandle: 'in' },
    ],
  };
  expect((await post(`${s.url}/api/graphs`, g)).status).toBe(201);
  const fr = await post(`${s.url}/route?trace=1`, { x: { lang: 'fr' } });
  expect(fr.body.output).toEqual({ french: { tag: 'fr', replica: expect.any(String), value: { lang: 'fr' } } });
  expect(fr.body.trace.find((t: TraceSpan) => t.node === 'other').status).toBe('skipped');
  const en = await post(`${s.url}/route`, { x: { lang: 'en' } });
  expect(Object.keys(en.body)).toEqual(['other']);
});
