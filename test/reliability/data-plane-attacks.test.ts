// Attacks on the data plane (issue 12, items 7 and 11), each performed through real clients
// against a real server: a body that never ends, clients that send and go away, oversized fields.
import { type Socket, connect } from 'node:net';
import sharp from 'sharp';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbedder } from '../../runtime/nodes/embedder.js';
import type { BeamlineServer } from '../../runtime/server/index.js';
import { Latch } from '../fixtures/nodes/latch.js';
import { get, graph, post, startServer, until } from '../runtime/helpers.js';

let s: BeamlineServer;
/** Every connection the server accepted, to read how much it took off the wire. */
const accepted: Socket[] = [];

beforeAll(async () => {
  s = await startServer();
  s.http.on('connection', (sock: Socket) => accepted.push(sock));
  const g = graph('echo', [{ id: 'n', kind: 'test-echo' }], [
    ['input', 'n'],
    ['n', 'output'],
  ]);
  expect((await s.deploy(g)).ok).toBe(true);
});
afterAll(() => s?.close());

/** Sends `head`, then keeps writing `chunk` (up to 512 MB) until the server closes the connection. */
async function endlessBody(head: string, chunk: Buffer): Promise<{ answer: string; closed: boolean; serverRead: number }> {
  const before = accepted.length;
  const sock = connect(s.port, '127.0.0.1');
  await new Promise<void>((ok, fail) => sock.once('connect', ok).once('error', fail));
  let answer = '';
  let closed = false;
  sock.on('data', (d) => {
    answer += d.toString('latin1');
  });
  sock.on('error', () => {});
  const done = new Promise<void>((ok) => sock.once('close', () => ok()));
  void done.then(() => {
    closed = true;
  });
  sock.write(head);
  const LIMIT = 512 * 1024 * 1024;
  let written = 0;
  while (!closed && written < LIMIT) {
    const more = sock.write(chunk);
    written += chunk.length;
    if (!more) await Promise.race([new Promise((r) => sock.once('drain', r)), done]);
  }
  const wasClosed = closed;
  sock.destroy();
  const server = accepted[before];
  return { answer, closed: wasClosed, serverRead: server?.bytesRead ?? Number.NaN };
}

describe('a body that never ends (item 11)', () => {
  const check = async (r: { answer: string; closed: boolean; serverRead: number }) => {
    expect(r.answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.answer.toLowerCase()).toContain('connection: close');
    expect(r.answer).toContain('"path":"$"');
    expect(r.closed).toBe(true);
    // What the server took off the wire stays near the limit (10 MB) plus socket buffers, not what the client wrote.
    expect(r.serverRead).toBeLessThan(64 * 1024 * 1024);
    // The server is still serving.
    expect((await post(`${s.url}/echo`, { x: 1 })).body).toBe(1);
  };

  it('Content-Length: 1e12 then endless writes: 413 with Connection: close, the server closes the socket and stops reading', async () => {
    const head = 'POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n';
    await check(await endlessBody(head, Buffer.alloc(64 * 1024, 0x20)));
  });

  it('a chunked body past the limit: the same 413, close and bounded read', async () => {
    const head = 'POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
    const data = Buffer.alloc(64 * 1024, 0x20);
    await check(await endlessBody(head, Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')])));
  });
});

describe('clients that send and go away (item 7)', () => {
  const ABANDONED = 10;
  /** One replica running one call at a time, room to queue; each abandoned call would wait at a latch. */
  const deploySlow = async (name: string) => {
    const g = graph(name, [{ id: 'slow', kind: 'test-echo', deployment: { numReplicas: 1, maxOngoingRequests: 1, maxQueuedRequests: 100 } }], [
      ['input', 'slow'],
      ['slow', 'output'],
    ]);
    expect((await s.deploy(g)).ok).toBe(true);
  };
  const slowStatus = async (name: string) => (await get(`${s.url}/api/graphs/${name}`)).body.nodes.slow;

  /** After the abandoned requests are cancelled, a small request is served and the replica has started 2 calls in all. */
  const expectOnlyOneStarted = async (name: string) => {
    const st = await until(async () => {
      const n = await slowStatus(name);
      return n.metrics.cancelled + n.metrics.dropped === ABANDONED && n.queued === 0 && n.inFlight === 0 ? n : undefined;
    }, 'the abandoned calls to be cancelled');
    // Nine never started; the one the replica was running finished and its result was dropped.
    expect(st.metrics.cancelled).toBe(ABANDONED - 1);
    expect(st.metrics.dropped).toBe(1);
    const small = await post(`${s.url}/${name}`, { x: { count: true } });
    expect(small.status).toBe(200);
    // The replica's own count of calls it started: the abandoned one it was running, then this one.
    expect(small.body).toEqual({ calls: 2 });
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toContain(`beamline_deployment_cancelled_counter{graph="${name}",node="slow",kind="test-echo",stage="queued"} ${ABANDONED - 1}`);
  };

  /**
   * The first call waits at a latch inside the replica, the others queue behind it, until
   * `abandon` has sent the clients away; once the queued calls are cancelled the running
   * one may finish (its result is dropped).
   */
  const abandonWhileHeld = async (name: string, send: (input: unknown) => void, abandon: () => void) => {
    const gate = new Latch(name);
    try {
      for (let i = 0; i < ABANDONED; i++) send({ x: { latch: gate.name } });
      await gate.until(1);
      await until(async () => {
        const n = await slowStatus(name);
        return n.inFlight === 1 && n.queued === ABANDONED - 1;
      }, 'one call running and the rest queued');
      abandon();
      await until(async () => (await slowStatus(name)).metrics.cancelled === ABANDONED - 1, 'the queued calls to be cancelled');
      gate.open();
      await expectOnlyOneStarted(name);
    } finally {
      gate.close();
    }
  };

  it('HTTP: clients that close their sockets after sending cancel their queued calls; the next request does not wait behind them', async () => {
    await deploySlow('abandon-http');
    const sockets: Socket[] = [];
    await abandonWhileHeld(
      'abandon-http',
      (input) => {
        const body = JSON.stringify(input);
        const sock = connect(s.port, '127.0.0.1');
        sock.on('error', () => {});
        sock.write(`POST /abandon-http HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        sockets.push(sock);
      },
      () => {
        for (const sock of sockets) sock.destroy();
      },
    );
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toContain(`beamline_cancelled_requests_counter{graph="abandon-http"} ${ABANDONED}`);
  });

  it('socket.io: a client that disconnects cancels its invocations', async () => {
    await deploySlow('abandon-io');
    const client = io(s.url, { transports: ['websocket'], forceNew: true });
    await new Promise<void>((ok, fail) => client.once('connect', () => ok()).once('connect_error', fail));
    await abandonWhileHeld(
      'abandon-io',
      (input) => client.emit('invoke', { graph: 'abandon-io', input }, () => {}),
      () => client.disconnect(),
    );
  });
});

describe('oversized fields (item 7)', () => {
  it('a 9 MB text field gets 413 naming $.query (default maxTextChars), before any node runs', async () => {
    const g = {
      version: 1,
      name: 'texty',
      routePrefix: '/texty',
      nodes: [
        { id: 'in', kind: 'input', config: { fields: { query: 'text', many: 'texts' } } },
        { id: 'n', kind: 'test-echo' },
        { id: 'out', kind: 'output' },
      ],
      edges: [
        { source: 'in', sourceHandle: 'query', target: 'n', targetHandle: 'in' },
        { source: 'n', sourceHandle: 'out', target: 'out', targetHandle: 'in' },
      ],
    };
    expect((await s.deploy(g)).ok).toBe(true);
    const big = await post(`${s.url}/texty`, { query: 'word '.repeat(1_800_000), many: [] });
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ path: '$.query', node: 'in', code: 'field_too_large' });
    expect(big.body.error).toMatch(/9000000 characters, the limit is 100000 \(maxTextChars\)/);
    // A total over all the strings of a texts field, and a count of items.
    const total = await post(`${s.url}/texty`, { query: 'q', many: Array.from({ length: 20 }, () => 'x'.repeat(60_000)) });
    expect(total.status).toBe(413);
    expect(total.body).toMatchObject({ path: '$.many' });
    expect(total.body.error).toMatch(/maxTotalChars/);
    const items = await post(`${s.url}/texty`, { query: 'q', many: Array.from({ length: 10_001 }, () => '') });
    expect(items.status).toBe(413);
    expect(items.body.error).toMatch(/10001 items, the limit is 10000 \(maxItems\)/);
    // Within the bounds it is served; the replica never saw the refused ones.
    expect((await post(`${s.url}/texty`, { query: 'hello', many: ['a'] })).body).toBe('hello');
    const status = (await get(`${s.url}/api/graphs/texty`)).body.nodes.n.metrics;
    expect(status.requests).toBe(1);
  });

  it('an image over the input node maxImagePixels gets 413 naming $.image from its header, before it is decoded', async () => {
    const g = {
      version: 1,
      name: 'pictures',
      routePrefix: '/pictures',
      nodes: [
        { id: 'in', kind: 'input', config: { fields: { image: 'image' }, maxImagePixels: 1_000_000 } },
        { id: 'n', kind: 'test-echo' },
        { id: 'out', kind: 'output' },
      ],
      edges: [
        { source: 'in', sourceHandle: 'image', target: 'n', targetHandle: 'in' },
        { source: 'n', sourceHandle: 'out', target: 'out', targetHandle: 'in' },
      ],
    };
    expect((await s.deploy(g)).ok).toBe(true);
    const png = (w: number, h: number) => sharp({ create: { width: w, height: h, channels: 3, background: '#336699' } }).png().toBuffer();
    const jpeg = (w: number, h: number) => sharp({ create: { width: w, height: h, channels: 3, background: '#336699' } }).jpeg().toBuffer();
    const over = await post(`${s.url}/pictures`, { image: `data:image/png;base64,${(await png(1001, 1000)).toString('base64')}` });
    expect(over.status).toBe(413);
    expect(over.body).toMatchObject({ path: '$.image', code: 'field_too_large' });
    expect(over.body.error).toMatch(/1001 x 1000 image \(1001000 pixels\), the limit is 1000000 \(maxImagePixels\)/);
    const overJpeg = await post(`${s.url}/pictures`, { image: (await jpeg(2000, 600)).toString('base64') });
    expect(overJpeg.status).toBe(413);
    expect(overJpeg.body.path).toBe('$.image');
    const fits = (await png(1000, 1000)).toString('base64');
    expect(await post(`${s.url}/pictures`, { image: fits })).toMatchObject({ status: 200, body: fits });
  });

  it('the bounds are part of the input kind config schema (the editor form shows them)', async () => {
    const catalog = (await get(`${s.url}/api/catalog`)).body;
    const kinds = Array.isArray(catalog) ? catalog : catalog.kinds;
    const input = kinds.find((k: { kind: string }) => k.kind === 'input');
    expect(Object.keys(input.configSchema.properties)).toEqual(expect.arrayContaining(['maxTextChars', 'maxTotalChars', 'maxItems', 'maxImagePixels']));
    expect(input.defaults).toMatchObject({ maxTextChars: 100_000, maxItems: 10_000, maxImagePixels: 40_000_000 });
  });
});

describe('the embedder bounds what it tokenises (item 7)', () => {
  it('cuts a long text to the model maximum length and counts it in status and /metrics', async () => {
    const g = {
      version: 1,
      name: 'embed-long',
      routePrefix: '/embed-long',
      nodes: [
        // The graph allows long texts; the embedder must still not tokenise megabytes.
        { id: 'in', kind: 'input', config: { fields: { query: 'text' }, maxTextChars: 5_000_000 } },
        { id: 'emb', kind: 'embedder', config: { model: 'builtin:glove-100d' } },
        { id: 'out', kind: 'output' },
      ],
      edges: [
        { source: 'in', sourceHandle: 'query', target: 'emb', targetHandle: 'text' },
        { source: 'emb', sourceHandle: 'vector', target: 'out', targetHandle: 'in' },
      ],
    };
    const r = await s.deploy(g);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    const long = await post(`${s.url}/embed-long`, { query: 'replicas scale with load '.repeat(200_000) });
    expect(long.status).toBe(200);
    expect(long.body).toHaveLength(100);
    const short = await post(`${s.url}/embed-long`, { query: 'replicas scale with load' });
    expect(short.status).toBe(200);
    const n = (await get(`${s.url}/api/graphs/embed-long`)).body.nodes.emb.metrics;
    expect(n.requests).toBe(2);
    expect(n.events).toEqual({ truncated: 1 });
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toContain('beamline_node_events_counter{graph="embed-long",node="emb",kind="embedder",event="truncated"} 1');
  });

  it('keeps at most the tokenizer model_max_length tokens whatever maxLength asks', async () => {
    const ctx = { modelsDir: new URL('../../models', import.meta.url).pathname, device: { type: 'cpu' as const } };
    const e = await createEmbedder({ model: 'builtin:glove-100d', maxLength: 8192 }, ctx);
    try {
      expect(e.maxLength).toBe(512);
    } finally {
      await e.close();
    }
  });
});
