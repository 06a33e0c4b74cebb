import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
import { Latch } from '../fixtures/nodes/latch.js';
import { get, graph, post, startServer, until } from './helpers.js';

let s: BeamlineServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(() => s?.close());

const running = async (name: string, node: string) => {
  const st = await get(`${s.url}/api/graphs/${name}`);
  return st.body.nodes[node].replicas.filter((r: { state: string }) => r.state === 'RUNNING');
};

it('retries a request whose replica is killed mid-call, and replaces the replica', async () => {
  const g = graph('crashy', [{ id: 'slow', kind: 'test-echo', deployment: { numReplicas: 2, retries: 1, maxOngoingRequests: 1 } }], [['input', 'slow'], ['slow', 'output']]);
  expect((await post(`${s.url}/api/graphs`, g)).status).toBe(201);
  const pool = s.controller.get('crashy')!.pools.get('slow')!;
  const before = pool.running().map((r) => r.id);
  expect(before).toHaveLength(2);
  // The call waits at a latch inside its replica, so the kill lands in the middle of it.
  const gate = new Latch('crashy');
  let r: Awaited<ReturnType<typeof post>>;
  let victim: (typeof pool.replicas)[number];
  try {
    const pending = post(`${s.url}/crashy?trace=1`, { x: { latch: gate.name } });
    const [where] = await gate.until(1);
    victim = pool.replicas.find((x) => x.id === where)!;
    await victim.terminateThread();
    // The retry, on the other replica, passes.
    gate.open();
    r = await pending;
  } finally {
    gate.close();
  }
  expect(gate.arrived).toHaveLength(2);
  expect(r.status).toBe(200);
  expect(r.body.output).toEqual({ latch: 'crashy' });
  // Served by a replica other than the one killed.
  const span = r.body.trace.find((t: { node: string }) => t.node === 'slow');
  expect(span.replica).not.toBe(victim.id);
  // The killed replica is replaced: two RUNNING again, one of them new.
  const now = await until(async () => {
    const rs = await running('crashy', 'slow');
    return rs.length === 2 && rs;
  }, 'a replacement replica');
  expect(now.map((x: { id: string }) => x.id)).not.toContain(victim.id);
  expect(now.some((x: { restarts: number }) => x.restarts === 1)).toBe(true);
});

it('fails a request naming the node when its replica dies and no retries are left', async () => {
  const g = graph('fragile', [{ id: 'one', kind: 'test-echo', deployment: { retries: 0 } }], [['input', 'one'], ['one', 'output']]);
  await post(`${s.url}/api/graphs`, g);
  const r = await post(`${s.url}/fragile`, { x: { crash: true } });
  expect(r.status).toBe(500);
  expect(r.body.node).toBe('one');
  await until(async () => (await running('fragile', 'one')).length === 1, 'a replacement replica');
  expect((await post(`${s.url}/fragile`, { x: 5 })).body).toBe(5);
});

it('answers 503 with Retry-After beyond the queue bound, and serves normally once load drops', async () => {
  const g = graph('busy', [{ id: 'n', kind: 'test-echo', deployment: { maxOngoingRequests: 1, maxQueuedRequests: 2 } }], [['input', 'n'], ['n', 'output']]);
  await post(`${s.url}/api/graphs`, g);
  // 1 in flight (held at a latch) + 2 queued are admitted; the other 5 are refused at once,
  // while the admitted ones are still held.
  const router = s.controller.get('busy')!.routers.get('n')!;
  const gate = new Latch('busy');
  let ok: Awaited<ReturnType<typeof post>>[];
  let refused: Awaited<ReturnType<typeof post>>[];
  try {
    const admitted = Array.from({ length: 3 }, () => post(`${s.url}/busy`, { x: { latch: gate.name } }));
    await gate.until(1);
    await until(() => router.queued === 2, 'two queued requests');
    refused = await Promise.all(Array.from({ length: 5 }, () => post(`${s.url}/busy`, { x: { latch: gate.name } })));
    expect(gate.arrived).toHaveLength(1);
    gate.open();
    ok = await Promise.all(admitted);
  } finally {
    gate.close();
  }
  expect(ok.map((r) => r.status)).toEqual([200, 200, 200]);
  expect(refused.map((r) => r.status)).toEqual([503, 503, 503, 503, 503]);
  for (const r of refused) {
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(r.body).toMatchObject({ node: 'n', code: 'overloaded' });
  }
  const after = await Promise.all(Array.from({ length: 3 }, (_, i) => post(`${s.url}/busy`, { x: i })));
  expect(after.map((r) => r.status)).toEqual([200, 200, 200]);
});

it('marks a node whose load fails UNHEALTHY with the error, and answers 503 naming it', async () => {
  const g = graph('broken', [{ id: 'model', kind: 'test-broken' }], [['input', 'model'], ['model', 'output']]);
  const d = await post(`${s.url}/api/graphs`, g);
  expect(d.status).toBe(201);
  const node = d.body.status.nodes.model;
  expect(node.error).toContain('weights.onnx');
  expect(node.replicas.some((r: { state: string; reason?: string }) => r.state === 'UNHEALTHY' && r.reason?.includes('weights.onnx'))).toBe(true);
  expect(d.body.status.state).toBe('UNHEALTHY');
  const r = await post(`${s.url}/broken`, { x: 1 });
  expect(r.status).toBe(503);
  expect(r.body.node).toBe('model');
  expect(r.body.error).toContain('weights.onnx');
  expect(r.headers.get('retry-after')).not.toBeNull();
});

it('replaces a replica that hangs past its timeout; other requests keep being served', async () => {
  const g = graph('hangs', [{ id: 'h', kind: 'test-echo', deployment: { numReplicas: 2, timeoutMs: 500, retries: 0 } }], [['input', 'h'], ['h', 'output']]);
  await post(`${s.url}/api/graphs`, g);
  const r = await post(`${s.url}/hangs`, { x: { hang: true } });
  expect(r.status).toBe(504);
  expect(r.body.node).toBe('h');
  expect((await post(`${s.url}/hangs`, { x: 'still here' })).body).toBe('still here');
  await until(async () => {
    const st = await get(`${s.url}/api/graphs/hangs`);
    return st.body.nodes.h.replicas.filter((x: { state: string; restarts: number }) => x.state === 'RUNNING').length === 2 && st.body.nodes.h.replicas.some((x: { restarts: number }) => x.restarts === 1);
  }, 'the hung replica to be replaced');
});

it('replaces a replica that runs out of its memoryMb heap, without taking the server down', async () => {
  const g = graph('leaky', [{ id: 'l', kind: 'test-echo', deployment: { retries: 0, resources: { cpus: 0.1, memoryMb: 128 } } }], [['input', 'l'], ['l', 'output']]);
  expect((await post(`${s.url}/api/graphs`, g)).status).toBe(201);
  const r = await post(`${s.url}/leaky`, { x: { leak: true } });
  expect(r.status).toBe(500);
  expect(r.body.node).toBe('l');
  expect(r.body.error).toMatch(/out of memory/);
  await until(async () => (await running('leaky', 'l')).length === 1, 'a replacement replica');
  expect((await post(`${s.url}/leaky`, { x: 'fine' })).body).toBe('fine');
});

it('replaces a replica that fails three health checks in a row', async () => {
  const g = graph('sickly', [{ id: 'k', kind: 'test-echo', deployment: { healthCheckPeriodMs: 100, healthCheckTimeoutMs: 1000 } }], [['input', 'k'], ['k', 'output']]);
  await post(`${s.url}/api/graphs`, g);
  const [first] = await running('sickly', 'k');
  expect((await post(`${s.url}/sickly`, { x: { unhealthy: true } })).status).toBe(200);
  const next = await until(async () => {
    const rs = await running('sickly', 'k');
    return rs.length === 1 && rs[0].id !== first.id && rs[0];
  }, 'the unhealthy replica to be replaced');
  expect(next.restarts).toBe(1);
  expect((await post(`${s.url}/sickly`, { x: 3 })).body).toBe(3);
});

it('keeps the running version when an upgrade fails to load, and says which node', async () => {
  const ok = graph('upgrade', [{ id: 'm', kind: 'test-echo', config: { tag: 'v1' } }], [['input', 'm'], ['m', 'output']]);
  expect((await post(`${s.url}/api/graphs`, ok)).status).toBe(201);
  const bad = graph('upgrade', [{ id: 'm', kind: 'test-broken' }], [['input', 'm'], ['m', 'output']]);
  const r = await post(`${s.url}/api/graphs`, bad);
  expect(r.status).toBe(503);
  expect(r.body.error).toMatch(/node m failed to load: model file weights.onnx not found; version 1 keeps serving/);
  expect(r.body.errors).toEqual([expect.objectContaining({ node: 'm', path: '$.nodes[1]' })]);
  expect((await post(`${s.url}/upgrade`, { x: 'still v1' })).body).toMatchObject({ tag: 'v1', value: 'still v1' });
  const st = await get(`${s.url}/api/graphs/upgrade`);
  expect(st.body).toMatchObject({ version: 1, state: 'RUNNING' });
});
