import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
import type { ClientToServerEvents, InvokeAck, ServerToClientEvents, StatusEvent, SubscribeAck } from '../../shared/protocol.js';
import { Latch } from '../fixtures/nodes/latch.js';
import { graph, post, startServer, until } from './helpers.js';

let s: BeamlineServer;
let client: Socket<ServerToClientEvents, ClientToServerEvents>;
beforeAll(async () => {
  s = await startServer();
  client = io(s.url, { transports: ['websocket'], forceNew: true });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('connect_error', reject);
  });
  // input -> first -> (left, right) -> output, for the tests below.
  const g = graph(
    'chain',
    [
      { id: 'first', kind: 'test-echo', config: { sleepMs: 20 } },
      { id: 'left', kind: 'test-echo', config: { sleepMs: 30 } },
      { id: 'right', kind: 'test-echo', config: { sleepMs: 10 } },
    ],
    [['input', 'first'], ['first', 'left'], ['first', 'right'], ['left', 'output'], ['right', 'output']],
  );
  expect((await post(`${s.url}/api/graphs`, g)).status).toBe(201);
});
afterAll(async () => {
  client?.close();
  await s?.close();
});

const invoke = (graphName: string, input: unknown, requestId?: string) =>
  new Promise<InvokeAck>((resolve) => client.emit('invoke', { graph: graphName, input, ...(requestId ? { requestId } : {}) }, resolve));

it('streams node events in dependency order, then acks with the result', async () => {
  const events: string[] = [];
  const mine = (e: { requestId: string }) => e.requestId === 'req-1';
  client.on('node:start', (e) => mine(e) && events.push(`start ${e.node}`));
  client.on('node:end', (e) => mine(e) && events.push(`end ${e.node}`));
  const ack = await invoke('chain', { x: 'hi' }, 'req-1');
  expect(ack).toMatchObject({ ok: true, requestId: 'req-1', output: { left: 'hi', right: 'hi' } });
  const at = (e: string) => {
    const i = events.indexOf(e);
    expect(i, `${e} in ${events.join(', ')}`).toBeGreaterThanOrEqual(0);
    return i;
  };
  for (const [before, after] of [
    ['end input', 'start first'],
    ['end first', 'start left'],
    ['end first', 'start right'],
    ['end left', 'start output'],
    ['end right', 'start output'],
  ]) {
    expect(at(before)).toBeLessThan(at(after));
  }
  expect(at('end output')).toBe(events.length - 1);
});

it('acks errors with the status and node, and emits node:error', async () => {
  const errors: string[] = [];
  client.on('node:error', (e) => e.requestId === 'req-2' && errors.push(e.node));
  const ack = await invoke('chain', { x: { fail: 'no' } }, 'req-2');
  expect(ack).toMatchObject({ ok: false, status: 500, node: 'first', requestId: 'req-2' });
  expect(errors).toEqual(['first']);
  expect(await invoke('absent', {})).toMatchObject({ ok: false, status: 404 });
  expect(await invoke('chain', { y: 1 })).toMatchObject({ ok: false, status: 400, path: '$.x' });
});

it('sends each node\'s whole output with node:end only when the invoke asks for outputs', async () => {
  const long = 'x'.repeat(5000);
  const ends = new Map<string, { preview: string; output?: unknown }>();
  const collect = (e: { requestId: string; node: string; preview: string; output?: unknown }) => e.requestId.startsWith('req-out') && ends.set(`${e.requestId} ${e.node}`, e);
  client.on('node:end', collect);
  const withOutputs = await new Promise<InvokeAck>((resolve) => client.emit('invoke', { graph: 'chain', input: { x: long }, requestId: 'req-out-1', outputs: true }, resolve));
  expect(withOutputs.ok).toBe(true);
  await invoke('chain', { x: long }, 'req-out-2');
  client.off('node:end', collect);
  // The preview is cut; the whole output is there, as the node produced it.
  expect(ends.get('req-out-1 first')!.preview.length).toBeLessThan(300);
  expect(ends.get('req-out-1 first')!.output).toEqual({ out: long });
  expect(ends.get('req-out-2 first')).toBeDefined();
  expect(ends.get('req-out-2 first')!.output).toBeUndefined();
});

it('streams tokens of a streaming node, in order, before the ack', async () => {
  const g = {
    version: 1,
    name: 'talk',
    routePrefix: '/talk',
    nodes: [
      { id: 'input', kind: 'input', config: { fields: { q: 'text' } } },
      { id: 'speak', kind: 'test-stream' },
      { id: 'output', kind: 'output' },
    ],
    edges: [
      { source: 'input', sourceHandle: 'q', target: 'speak', targetHandle: 'in' },
      { source: 'speak', sourceHandle: 'out', target: 'output', targetHandle: 'in' },
    ],
  };
  expect((await post(`${s.url}/api/graphs`, g)).status).toBe(201);
  const tokens: { token: string; index: number; node: string }[] = [];
  client.on('token', (e) => e.requestId === 'req-t' && tokens.push(e));
  const ack = await invoke('talk', { q: 'one two three four' }, 'req-t');
  expect(ack).toMatchObject({ ok: true, output: 'one two three four' });
  expect(tokens.map((t) => [t.node, t.index, t.token])).toEqual([
    ['speak', 0, 'one'],
    ['speak', 1, 'two'],
    ['speak', 2, 'three'],
    ['speak', 3, 'four'],
  ]);
});

it('pushes status to subscribers', async () => {
  expect(await invoke('chain', { x: 'counted' })).toMatchObject({ ok: true });
  const ack = await new Promise<SubscribeAck>((resolve) => client.emit('subscribe', { graph: 'chain' }, resolve));
  expect(ack.ok).toBe(true);
  expect(ack.status?.status.nodes.first.replicas[0].state).toBe('RUNNING');
  const pushed = await new Promise<StatusEvent>((resolve) => client.once('status', resolve));
  expect(pushed.graph).toBe('chain');
  expect(pushed.status.nodes.first.metrics.requests).toBeGreaterThan(0);
  client.emit('unsubscribe', { graph: 'chain' });
});

it('fails none of a stream of requests while the graph is redeployed, nor a call held across the switch', async () => {
  const v = (tag: string) => graph('live', [{ id: 'e', kind: 'test-echo', config: { tag, sleepMs: 10 }, deployment: { numReplicas: 2 } }], [['input', 'e'], ['e', 'output']]);
  expect((await post(`${s.url}/api/graphs`, v('v1'))).status).toBe(201);
  let stop = false;
  const acks: InvokeAck[] = [];
  const tagOf = (a: InvokeAck) => (a.ok ? (a.output as { tag: string }).tag : '');
  const answered = (tag: string) => acks.filter((a) => tagOf(a) === tag).length;
  const streams = Array.from({ length: 4 }, async () => {
    while (!stop) acks.push(await invoke('live', { x: 1 }));
  });
  const held = new Latch('live-held');
  try {
    await until(() => answered('v1') >= 10, 'answers from v1');
    // Two calls wait inside v1's replicas until after the switch: they must not be lost.
    const across = [invoke('live', { x: { latch: 'live-held' } }), invoke('live', { x: { latch: 'live-held' } })];
    await held.until(2);
    const re = await post(`${s.url}/api/graphs`, v('v2'));
    expect(re.status).toBe(200);
    expect(re.body.version).toBe(2);
    held.open();
    expect((await Promise.all(across)).map((a) => [a.ok, tagOf(a)])).toEqual([
      [true, 'v1'],
      [true, 'v1'],
    ]);
    const before = answered('v2');
    await until(() => answered('v2') >= before + 10, 'answers from v2');
  } finally {
    stop = true;
    held.close();
    await Promise.all(streams);
  }
  const failed = acks.filter((a) => !a.ok);
  expect(failed).toEqual([]);
  expect(new Set(acks.map(tagOf))).toEqual(new Set(['v1', 'v2']));
});
