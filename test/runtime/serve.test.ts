import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
import { Latch } from '../fixtures/nodes/latch.js';
import { get, graph, post, startServer, until } from './helpers.js';

let s: BeamlineServer;
beforeAll(async () => {
  s = await startServer();
  const r = await post(`${s.url}/api/graphs`, graph('basic', [{ id: 'echo', kind: 'test-echo', deployment: { timeoutMs: 1500 } }], [['input', 'echo'], ['echo', 'output']]));
  expect(r.status).toBe(201);
});
afterAll(() => s?.close());

describe('serving a graph over HTTP', () => {
  it('returns the output of the graph, and a trace with ?trace=1', async () => {
    const r = await post(`${s.url}/basic`, { x: { hello: 'world' } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ hello: 'world' });
    const t = await post(`${s.url}/basic?trace=1`, { x: 7 });
    expect(t.body.output).toBe(7);
    expect(t.body.trace.map((x: { node: string }) => x.node)).toEqual(['input', 'echo', 'output']);
    expect(t.body.trace[1].replica).toMatch(/^r\d+$/);
  });

  it('answers 400 with every compiler error of a bad graph', async () => {
    const bad = graph('bad', [{ id: 'a', kind: 'nope' }, { id: 'b', kind: 'test-echo', config: { sleepMs: -1 } }], [['input', 'b'], ['b', 'output']]);
    const r = await post(`${s.url}/api/graphs`, bad);
    expect(r.status).toBe(400);
    expect((await get(`${s.url}/api/graphs/bad`)).status).toBe(404);
    const codes = r.body.errors.map((e: { code: string }) => e.code);
    expect(codes).toContain('unknown_kind');
    expect(r.body.errors.find((e: { code: string }) => e.code === 'unknown_kind').path).toBe('$.nodes[1].kind');
    expect(r.body.errors.some((e: { node?: string; path: string }) => e.node === 'b' && e.path.startsWith('$.nodes[2].config'))).toBe(true);
  });

  it('answers 404 for an unknown graph, on the data and control planes', async () => {
    expect((await post(`${s.url}/nothing-here`, { x: 1 })).status).toBe(404);
    const r = await get(`${s.url}/api/graphs/nothing-here`);
    expect(r.status).toBe(404);
    expect(r.body.error).toContain('nothing-here');
  });

  it('answers 400 naming the field for bad input', async () => {
    const r = await post(`${s.url}/basic`, { y: 1 });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ node: 'input', path: '$.x' });
    const notJson = await fetch(`${s.url}/basic`, { method: 'POST', body: '{oops', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
  });

  it('answers 500 naming the node that failed', async () => {
    const r = await post(`${s.url}/basic`, { x: { fail: 'bad day' } });
    expect(r.status).toBe(500);
    expect(r.body.node).toBe('echo');
    expect(r.body.error).toContain('bad day');
  });

  it('answers 500 when a node returns what JSON cannot hold, and keeps serving', async () => {
    const r = await post(`${s.url}/basic`, { x: { cyclic: true } });
    expect(r.status).toBe(500);
    expect(r.body).toMatchObject({ code: 'output_not_json' });
    expect((await post(`${s.url}/basic`, { x: 2 })).body).toBe(2);
    // A value that cannot even leave the worker thread fails its request, not the replica.
    const f = await post(`${s.url}/basic`, { x: { uncloneable: true } });
    expect(f.status).toBe(500);
    expect(f.body).toMatchObject({ node: 'echo', code: 'node_failed' });
    expect(f.body.error).toContain('cannot be sent');
    expect((await post(`${s.url}/basic`, { x: 3 })).body).toBe(3);
  });

  it('answers 504 naming the node that timed out, and keeps serving', async () => {
    // Waits at a latch nobody releases: the call never answers by itself.
    const r = await post(`${s.url}/basic`, { x: { latch: 'never' } });
    expect(r.status).toBe(504);
    expect(r.body.node).toBe('echo');
    // The replica that overran is replaced; once its successor runs, service is normal.
    await until(async () => (await get(`${s.url}/api/graphs/basic`)).body.state === 'RUNNING', 'the replacement replica');
    expect((await post(`${s.url}/basic`, { x: 1 })).body).toBe(1);
  });

  it('reports status, catalog, cluster, openapi, health and metrics', async () => {
    // Traffic of its own for the counters: one answer and one failure.
    expect((await post(`${s.url}/basic`, { x: 1 })).status).toBe(200);
    expect((await post(`${s.url}/basic`, { x: { fail: 'counted' } })).status).toBe(500);
    const st = await get(`${s.url}/api/graphs/basic`);
    expect(st.body.state).toBe('RUNNING');
    expect(st.body.nodes.echo.replicas[0]).toMatchObject({ state: 'RUNNING', placement: { machine: 'local' } });
    const list = await get(`${s.url}/api/graphs`);
    expect(list.body.graphs.map((g: { name: string }) => g.name)).toContain('basic');
    const cat = await get(`${s.url}/api/catalog`);
    const echo = cat.body.kinds.find((k: { kind: string }) => k.kind === 'test-echo');
    expect(echo).toMatchObject({ custom: true, runsIn: 'replica', defaults: { sleepMs: 0, tag: '' } });
    expect(echo.configSchema.properties.sleepMs.type).toBe('integer');
    expect(cat.body.kinds.find((k: { kind: string }) => k.kind === 'input').custom).toBe(false);
    expect((await get(`${s.url}/api/cluster`)).body).toMatchObject({ gpuSource: 'none', machines: [{ machine: 'local', cpus: 8 }] });
    expect((await get(`${s.url}/api/openapi.json`)).body.paths['/api/graphs'].post).toBeDefined();
    expect((await get(`${s.url}/healthz`)).body.ok).toBe(true);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/beamline_deployment_request_counter\{graph="basic",node="echo",kind="test-echo"\} [1-9]/);
    expect(metrics).toMatch(/beamline_deployment_error_counter\{graph="basic",node="echo",kind="test-echo"\} [1-9]/);
    expect(metrics).toContain('beamline_deployment_processing_latency_ms_bucket');
    expect(metrics).toMatch(/beamline_replicas\{graph="basic",node="echo",kind="test-echo",state="RUNNING"\} 1/);
    expect(metrics).toContain('beamline_queued_requests');
  });

  it('lists the examples and serves them', async () => {
    const ex = await get(`${s.url}/examples`);
    const rag = ex.body.examples.find((e: { id: string }) => e.id === 'rag');
    expect(rag.url).toBe('/examples/rag/graph.json');
    expect((await get(`${s.url}${rag.url}`)).body.name).toBe('rag');
    expect((await fetch(`${s.url}/examples/..%2F..%2Fpackage.json/graph.json`)).status).toBe(404);
  });

  it('deletes a graph', async () => {
    await post(`${s.url}/api/graphs`, graph('gone', [{ id: 'e', kind: 'test-echo' }], [['input', 'e'], ['e', 'output']]));
    expect((await fetch(`${s.url}/api/graphs/gone`, { method: 'DELETE' })).status).toBe(200);
    expect((await post(`${s.url}/gone`, { x: 1 })).status).toBe(404);
    expect((await get(`${s.url}/api/graphs`)).body.graphs.map((g: { name: string }) => g.name)).not.toContain('gone');
  });
});

describe('deploys of one name', () => {
  it('take effect in the order they were asked for, one after another, even when the first is slower to start', async () => {
    const v = (tag: string, setupLatch = '') => {
      const g = graph('order', [{ id: 'e', kind: 'test-echo', config: { tag, setupLatch } }], [['input', 'e'], ['e', 'output']]);
      // The label shows which document the deploy in progress is.
      return { ...g, nodes: g.nodes.map((n) => (n.id === 'e' ? { ...n, label: tag } : n)) };
    };
    const loading = new Latch('order-first');
    try {
      const first = post(`${s.url}/api/graphs`, v('first', 'order-first'));
      // The first deploy is under way: its replica is loading, and stays so until the test lets it.
      expect(await loading.until(1)).toEqual(['first']);
      const second = post(`${s.url}/api/graphs`, v('second'));
      // The second reached the server: the graph in progress is listed with its document.
      await until(async () => (await get(`${s.url}/api/graphs`)).body.graphs.find((g: { name: string }) => g.name === 'order')?.nodes.e.label === 'second', 'the second deploy to begin');
      // It waits its turn: nothing of it is recorded while the first is still loading.
      const during = await get(`${s.url}/api/graphs/order/versions`);
      expect(during.body.versions.map((x: { version: number; status: string }) => [x.version, x.status])).toEqual([[1, 'deploying']]);
      loading.open();
      const [slow, fast] = await Promise.all([first, second]);
      expect([slow.body.version, fast.body.version]).toEqual([1, 2]);
      expect((await post(`${s.url}/order`, { x: 1 })).body).toMatchObject({ tag: 'second' });
      expect((await get(`${s.url}/api/graphs/order`)).body.version).toBe(2);
    } finally {
      loading.close();
    }
  });
});

describe('the overall request timeout', () => {
  it('answers 504 naming the node still running when the request runs out of time', async () => {
    const t = await startServer({ requestTimeoutMs: 300 });
    try {
      await post(`${t.url}/api/graphs`, graph('slow', [{ id: 'lazy', kind: 'test-echo' }], [['input', 'lazy'], ['lazy', 'output']]));
      const r = await post(`${t.url}/slow`, { x: { latch: 'never' } });
      expect(r.status).toBe(504);
      expect(r.body).toMatchObject({ node: 'lazy', code: 'timeout' });
      expect(r.body.error).toContain('request timed out after 300 ms');
    } finally {
      await t.close();
    }
  });
});
