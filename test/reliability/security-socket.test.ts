import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostPolicy } from '../../runtime/security/hosts.js';
import { guardSockets, socketServerOptions } from '../../runtime/security/socket.js';

const TOKEN = 'control-token';
const GRAPH_TOKEN = 'graph-token';

describe('socket.io guard on a real server', () => {
  let http: HttpServer;
  let io: Server;
  let url = '';
  const clients: Socket[] = [];

  beforeAll(async () => {
    http = createServer();
    const security = { token: TOKEN, hosts: hostPolicy('127.0.0.1', []), origins: ['http://editor.example'], limits: { bodyLimitBytes: 4096, jsonDepth: 8 }, graphToken: (g: string) => (g === 'locked' ? GRAPH_TOKEN : undefined) };
    io = new Server(http, socketServerOptions(security));
    guardSockets(io, security);
    io.on('connection', (socket) => {
      socket.on('invoke', (req: { graph: string; input: unknown }, ack: (r: unknown) => void) => ack({ ok: true, output: req.input }));
      socket.on('subscribe', (_req: unknown, ack: (r: unknown) => void) => ack({ ok: true }));
    });
    await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    io.close();
    await new Promise((ok) => http.close(ok));
  });

  function client(opts: Parameters<typeof connect>[1] = {}): Socket {
    const c = connect(url, { transports: ['websocket'], reconnection: false, forceNew: true, ...opts });
    clients.push(c);
    return c;
  }
  const connected = (c: Socket) =>
    new Promise<void>((ok, fail) => {
      c.once('connect', ok);
      c.once('connect_error', fail);
    });

  it('refuses over-deep payloads with the path, and lets ordinary ones through', async () => {
    const c = client({ auth: { token: TOKEN } });
    await connected(c);
    const deep = await c.emitWithAck('invoke', { graph: 'open', input: { a: [[[[[[[1]]]]]]] } });
    expect(deep).toMatchObject({ ok: false, status: 400, code: 'too_deep' });
    expect(deep.path).toBe('$.input.a[0][0][0][0][0][0]');
    const fine = await c.emitWithAck('invoke', { graph: 'open', input: { a: [[1]] } });
    expect(fine).toEqual({ ok: true, output: { a: [[1]] } });
  });

  it('status subscriptions need the control-plane token; open graphs do not', async () => {
    const anon = client();
    await connected(anon);
    expect(await anon.emitWithAck('subscribe', { graph: 'open' })).toMatchObject({ ok: false, status: 401 });
    expect(await anon.emitWithAck('invoke', { graph: 'open', input: 1 })).toEqual({ ok: true, output: 1 });
    const authed = client({ auth: { token: TOKEN } });
    await connected(authed);
    expect(await authed.emitWithAck('subscribe', { graph: 'open' })).toEqual({ ok: true });
  });

  it('a protected graph needs its own token over socket.io too', async () => {
    const wrong = client({ auth: { token: TOKEN } });
    await connected(wrong);
    const refused = await wrong.emitWithAck('invoke', { graph: 'locked', input: 1 });
    expect(refused).toMatchObject({ ok: false, status: 401 });
    expect(refused.error).toMatch(/graph locked requires a token/);
    const right = client({ auth: { token: GRAPH_TOKEN } });
    await connected(right);
    expect(await right.emitWithAck('invoke', { graph: 'locked', input: 2 })).toEqual({ ok: true, output: 2 });
  });

  it('connections from other origins are refused; listed ones are accepted', async () => {
    const evil = client({ transports: ['polling'], extraHeaders: { origin: 'http://evil.example' } });
    await expect(connected(evil)).rejects.toThrow();
    const good = client({ transports: ['polling'], extraHeaders: { origin: 'http://editor.example' } });
    await connected(good);
    expect(good.connected).toBe(true);
  });

  it('a message over maxHttpBufferSize closes that connection, not the server', async () => {
    const c = client({ auth: { token: TOKEN } });
    await connected(c);
    const gone = new Promise<string>((ok) => c.once('disconnect', ok));
    c.emit('invoke', { graph: 'open', input: 'x'.repeat(10_000) });
    expect(await gone).toMatch(/transport close|transport error/);
    const next = client({ auth: { token: TOKEN } });
    await connected(next);
    expect(await next.emitWithAck('invoke', { graph: 'open', input: 'ok' })).toEqual({ ok: true, output: 'ok' });
  });
});
