import { request } from 'node:http';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
import { echoGraph, startServer } from '../runtime/helpers.js';

// DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 sends
// requests with `Host: evil.example:PORT` and `Origin: http://evil.example:PORT`.
// Before the Host allow-list, "Origin host == Host" passed as same-origin.


interface Raw {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
  json: any;
  text: string;
}

/** One HTTP request to 127.0.0.1:port with exactly these headers (fetch will not send a forged Host). */
function raw(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Raw> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {}
        ok({ status: res.statusCode ?? 0, json, text });
      });
    });
    req.on('error', fail);
    req.end(body);
  });
}

const attacker = (port: number, name = 'evil.example') => ({ host: `${name}:${port}`, origin: `http://${name}:${port}` });

function socketConnects(url: string, opts: Parameters<typeof connect>[1], sockets: Socket[]): Promise<Socket> {
  const c = connect(url, { reconnection: false, forceNew: true, ...opts });
  sockets.push(c);
  return new Promise((ok, fail) => {
    c.once('connect', () => ok(c));
    c.once('connect_error', fail);
  });
}

describe('DNS rebinding against the default loopback server (no token)', () => {
  let s: BeamlineServer;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    s = await startServer();
    expect((await raw(s.port, 'POST', '/api/graphs', {}, JSON.stringify(echoGraph('victim')))).status).toBe(201);
  });
  afterAll(async () => {
    for (const c of sockets) c.close();
    await s?.close();
  });

  it('a forged Host is refused with 421 on deploy, delete and invoke, and nothing changes', async () => {
    const evil = attacker(s.port);
    const deploy = await raw(s.port, 'POST', '/api/graphs', evil, JSON.stringify(echoGraph('planted')));
    expect(deploy.status).toBe(421);
    expect(deploy.json).toMatchObject({ code: 'host_not_allowed' });
    expect(deploy.json.error).toContain(`evil.example:${s.port}`);
    expect(deploy.json.error).toContain('--allowed-host evil.example');
    expect((await raw(s.port, 'DELETE', '/api/graphs/victim', evil)).status).toBe(421);
    expect((await raw(s.port, 'POST', '/victim', evil, '{"x":"stolen"}')).status).toBe(421);
    expect((await raw(s.port, 'POST', '/victim/?trace=1', evil, '{"x":"stolen"}')).status).toBe(421);
    const list = await raw(s.port, 'GET', '/api/graphs', {});
    expect(list.json.graphs.map((g: { name: string }) => g.name)).toEqual(['victim']);
  });

  it('every other route is refused too; /healthz stays open', async () => {
    const evil = attacker(s.port);
    for (const [method, path] of [
      ['GET', '/api/graphs'],
      ['GET', '/api/graphs/victim/versions'],
      ['GET', '/'],
      ['GET', '/index.html'],
      ['GET', '/examples'],
      ['GET', '/metrics'],
      ['GET', '/v1/models'],
      ['POST', '/v1/chat/completions'],
      ['OPTIONS', '/api/graphs'],
    ]) {
      const r = await raw(s.port, method, path, evil, method === 'POST' ? '{"model":"victim","messages":[{"role":"user","content":"hi"}]}' : undefined);
      expect(r.status, `${method} ${path}`).toBe(421);
    }
    // No Origin at all (a rebound <img> or a script's no-cors request) does not help either.
    expect((await raw(s.port, 'GET', '/api/graphs', { host: `evil.example:${s.port}` })).status).toBe(421);
    const health = await raw(s.port, 'GET', '/healthz', evil);
    expect(health.status).toBe(200);
    expect(health.json).toEqual({ ok: true, graphs: 1 });
  });

  it('socket.io refuses the polling handshake and the websocket upgrade from a forged Host', async () => {
    const evil = attacker(s.port);
    const poll = await raw(s.port, 'GET', '/socket.io/?EIO=4&transport=polling', evil);
    expect(poll.status).toBe(403);
    expect(poll.text).toContain('evil.example');
    expect(poll.text).not.toMatch(/"sid"/);
    await expect(socketConnects(s.url, { transports: ['websocket'], extraHeaders: evil }, sockets)).rejects.toThrow();
    // The same handshakes with this server's own names go through.
    const good = await raw(s.port, 'GET', '/socket.io/?EIO=4&transport=polling', { host: `127.0.0.1:${s.port}` });
    expect(good.status).toBe(200);
    expect(good.text).toMatch(/"sid"/);
    const ws = await socketConnects(s.url, { transports: ['websocket'], extraHeaders: { host: `localhost:${s.port}`, origin: `http://localhost:${s.port}` } }, sockets);
    expect(await ws.emitWithAck('invoke', { graph: 'victim', input: { x: 5 } })).toMatchObject({ ok: true, output: 5 });
  });

  it("the server's own names work, with or without the port; another port does not", async () => {
    for (const host of [`127.0.0.1:${s.port}`, `localhost:${s.port}`, `LOCALHOST:${s.port}`, `[::1]:${s.port}`, '127.0.0.1', 'localhost', '[::1]']) {
      const r = await raw(s.port, 'POST', '/victim', { host }, '{"x":1}');
      expect(r.status, host).toBe(200);
      expect(r.json).toBe(1);
    }
    for (const host of [`127.0.0.1:${s.port + 1}`, `localhost:1`, `evil.example`, `127.0.0.1.evil.example:${s.port}`, `localhost.:${s.port}`, `::1:${s.port}`, `[::1]x`]) {
      expect((await raw(s.port, 'GET', '/api/graphs', { host })).status, host).toBe(421);
    }
    const deploy = await raw(s.port, 'POST', '/api/graphs', { host: `localhost:${s.port}`, origin: `http://localhost:${s.port}` }, JSON.stringify(echoGraph('mine')));
    expect(deploy.status).toBe(201);
    expect((await raw(s.port, 'DELETE', '/api/graphs/mine', { host: `127.0.0.1:${s.port}`, origin: `http://127.0.0.1:${s.port}` })).status).toBe(200);
  });

  it("same-origin means the Origin's host is one of the server's names on its port", async () => {
    const host = `127.0.0.1:${s.port}`;
    expect((await raw(s.port, 'POST', '/victim', { host, origin: `http://localhost:${s.port}` }, '{"x":2}')).status).toBe(200);
    expect((await raw(s.port, 'POST', '/victim', { host, origin: `http://[::1]:${s.port}` }, '{"x":2}')).status).toBe(200);
    // Another page on this machine (another port) is another origin.
    expect((await raw(s.port, 'POST', '/victim', { host, origin: `http://localhost:${s.port + 1}` }, '{"x":2}')).status).toBe(403);
    expect((await raw(s.port, 'POST', '/victim', { host, origin: 'http://localhost' }, '{"x":2}')).status).toBe(403);
    expect((await raw(s.port, 'POST', '/victim', { host, origin: `http://evil.example:${s.port}` }, '{"x":2}')).status).toBe(403);
  });
});

describe('a server bound beyond loopback', () => {
  const TOKEN = 'rebind-token-0123456789';
  let s: BeamlineServer;
  beforeAll(async () => {
    s = await startServer({ host: '0.0.0.0', token: TOKEN, allowedHosts: ['beamline.test', 'proxy.test:8443'] });
    expect((await raw(s.port, 'POST', '/api/graphs?dataPlane=open', { authorization: `Bearer ${TOKEN}` }, JSON.stringify(echoGraph('pub')))).status).toBe(201);
  });
  afterAll(() => s?.close());

  it('answers to the names the operator listed, to IP literals and loopback names, and to nothing else', async () => {
    const call = (host: string, origin?: string) => raw(s.port, 'POST', '/pub', { host, ...(origin ? { origin } : {}) }, '{"x":3}');
    for (const host of [`beamline.test:${s.port}`, 'beamline.test', 'beamline.test:443', 'proxy.test:8443', 'proxy.test', `127.0.0.1:${s.port}`, `0.0.0.0:${s.port}`, `10.1.2.3:${s.port}`, `[fe80::1]:${s.port}`]) {
      expect((await call(host)).status, host).toBe(200);
    }
    for (const host of [`evil.example:${s.port}`, 'proxy.test:9000', `10.1.2.3:${s.port + 1}`, `beamline.test.evil.example:${s.port}`]) {
      const r = await call(host);
      expect(r.status, host).toBe(421);
      expect(r.json.error).toContain('--allowed-host');
    }
    // A page served under a listed name is same-origin, on whatever port the proxy uses.
    expect((await call('beamline.test', 'https://beamline.test')).status).toBe(200);
    expect((await call('beamline.test', 'https://evil.example')).status).toBe(403);
  });
});
