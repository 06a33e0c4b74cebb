import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindRefusal, isLoopbackHost, requireGraphToken, requireToken, resolveToken, tokenMatches } from '../../runtime/security/auth.js';
import { findTooDeep, inputLimitMiddleware, parseSize } from '../../runtime/security/limits.js';
import { hostPolicy, parseAllowedHosts, splitHost } from '../../runtime/security/hosts.js';
import { originAllowed, originMiddleware, parseOrigins } from '../../runtime/security/origins.js';

describe('tokens and binding', () => {
  it('compares tokens exactly, including length and empty values', () => {
    expect(tokenMatches('s3cret', 's3cret')).toBe(true);
    expect(tokenMatches('s3cre', 's3cret')).toBe(false);
    expect(tokenMatches('s3cretX', 's3cret')).toBe(false);
    expect(tokenMatches('', 's3cret')).toBe(false);
    expect(tokenMatches(undefined, 's3cret')).toBe(false);
    expect(tokenMatches('', '')).toBe(false);
  });

  it('refuses a non-loopback bind without a token unless --insecure', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) {
      expect(isLoopbackHost(host)).toBe(true);
      expect(bindRefusal({ host })).toBeUndefined();
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com']) {
      expect(isLoopbackHost(host)).toBe(false);
      expect(bindRefusal({ host })).toMatch(/--token .*BEAMLINE_TOKEN.*--insecure/);
      expect(bindRefusal({ host, token: 't' })).toBeUndefined();
      expect(bindRefusal({ host, insecure: true })).toBeUndefined();
      expect(bindRefusal({ host, token: '' })).toBeDefined();
    }
    expect(resolveToken(undefined, { BEAMLINE_TOKEN: 'env' })).toBe('env');
    expect(resolveToken('flag', { BEAMLINE_TOKEN: 'env' })).toBe('flag');
    expect(resolveToken(undefined, { BEAMLINE_TOKEN: '' })).toBeUndefined();
  });

  it('parses Host values and --allowed-host lists', () => {
    expect(splitHost('LocalHost:8000')).toEqual({ name: 'localhost', port: 8000 });
    expect(splitHost('[::1]:80')).toEqual({ name: '[::1]', port: 80 });
    expect(splitHost('[::1]')).toEqual({ name: '[::1]' });
    for (const bad of ['', '::1', '[::1', 'a b', 'x:', 'x:0', 'x:65536', 'x:1:2', 'evil.example:80/', 'localhost.']) expect(splitHost(bad), bad).toBeUndefined();
    expect(parseAllowedHosts(['a.example,b.example:8443', 'A.example'], { BEAMLINE_ALLOWED_HOSTS: 'c.example' })).toEqual(['a.example', 'b.example:8443', 'c.example']);
    expect(() => parseAllowedHosts(['http://a.example'], {})).toThrow(/not a host name.*--allowed-host/);
    const open = hostPolicy('192.168.1.10', ['*']);
    expect(open.allows('anything.example:1')).toBe(true);
    // "*" answers any Host; a page elsewhere is still cross-site.
    expect(open.ownsOrigin('http://anything.example:1')).toBe(false);
    const bound = hostPolicy('192.168.1.10', []);
    bound.listening(8000);
    expect(bound.allows('192.168.1.10:8000')).toBe(true);
    // Not reachable through loopback on this bind, and not a wildcard: no other IP literal.
    expect(bound.allows('127.0.0.1:8000')).toBe(false);
    expect(bound.allows('10.0.0.1:8000')).toBe(false);
    expect(bound.allows(undefined)).toBe(true);
  });

  it('parses sizes and origins, and finds the first over-deep path', () => {
    expect(parseSize('10mb')).toBe(10 * 1024 * 1024);
    expect(parseSize('512KB')).toBe(512 * 1024);
    expect(parseSize('100')).toBe(100);
    expect(() => parseSize('lots')).toThrow(/not a size/);
    expect(parseOrigins(['http://localhost:5173/', 'https://a.example,https://a.example'])).toEqual(['http://localhost:5173', 'https://a.example']);
    expect(() => parseOrigins(['ftp://x'])).toThrow(/http or https/);
    expect(() => parseOrigins(['not a url'])).toThrow(/not a URL/);
    const hosts = hostPolicy('127.0.0.1', []);
    hosts.listening(1);
    expect(originAllowed(undefined, hosts, [])).toBe(true);
    expect(originAllowed('http://localhost:1', hosts, [])).toBe(true);
    expect(originAllowed('http://localhost:2', hosts, [])).toBe(false);
    expect(originAllowed('http://evil.example:1', hosts, [])).toBe(false);
    expect(originAllowed('http://evil.example:1', hosts, ['http://evil.example:1'])).toBe(true);
    expect(originAllowed('null', hosts, [])).toBe(false);
    expect(findTooDeep({ a: [1, { b: 2 }] }, 3)).toBeUndefined();
    expect(findTooDeep({ a: [1, { b: { c: 1 } }] }, 3)).toBe('$.a[1].b');
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findTooDeep(deep, 64)).toBe(`$${'[0]'.repeat(64)}`);
  });
});

describe('HTTP middleware on a real server', () => {
  let base = '';
  let close: () => void = () => {};
  const TOKEN = 'control-token-123';
  const GRAPH_TOKEN = 'graph-token-456';

  beforeAll(async () => {
    const app = new Hono();
    const hosts = hostPolicy('127.0.0.1', []);
    app.use('*', ...originMiddleware(parseOrigins(['http://editor.example']), hosts));
    app.use('*', ...inputLimitMiddleware({ bodyLimitBytes: 1024, jsonDepth: 8 }));
    app.use('/api/*', requireToken(TOKEN));
    app.use('*', requireGraphToken((c) => (c.req.path === '/locked' ? { graph: 'locked', token: GRAPH_TOKEN } : c.req.path === '/open' ? { graph: 'open', token: undefined } : undefined)));
    app.post('/api/echo', async (c) => c.json({ got: await c.req.json() }));
    app.get('/api/ping', (c) => c.json({ ok: true }));
    app.post('/open', async (c) => c.json({ got: await c.req.json() }));
    app.post('/locked', async (c) => c.json({ got: await c.req.json() }));
    await new Promise<void>((ok) => {
      const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
        base = `http://127.0.0.1:${info.port}`;
        hosts.listening(info.port);
        ok();
      });
      close = () => server.close();
    });
  });
  afterAll(() => close());

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it('the control plane answers 401 without the token and 200 with it', async () => {
    const none = await fetch(`${base}/api/ping`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/Bearer/);
    expect((await none.json()).error).toMatch(/requires a token/);
    expect((await fetch(`${base}/api/ping`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${base}/api/ping`, { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    expect((await fetch(`${base}/api/ping`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect((await fetch(`${base}/api/ping`, { headers: { 'x-beamline-token': TOKEN } })).status).toBe(200);
  });

  it('a protected graph needs its own token; an open one does not', async () => {
    expect((await post('/open', '{"q":1}')).status).toBe(200);
    const locked = await post('/locked', '{"q":1}');
    expect(locked.status).toBe(401);
    expect((await locked.json()).error).toMatch(/graph locked requires a token/);
    expect((await post('/locked', '{"q":1}', { authorization: `Bearer ${TOKEN}` })).status).toBe(401);
    expect((await post('/locked', '{"q":1}', { authorization: `Bearer ${GRAPH_TOKEN}` })).status).toBe(200);
  });

  it('bodies over the limit get 413, with and without a content-length', async () => {
    const big = JSON.stringify({ s: 'x'.repeat(2000) });
    const r = await post('/open', big);
    expect(r.status).toBe(413);
    expect((await r.json()).error).toMatch(/larger than the 1 KB limit/);
    // Chunked upload: no content-length, the limit is counted while reading.
    const stream = new ReadableStream({
      start(ctl) {
        for (let i = 0; i < 10; i++) ctl.enqueue(new TextEncoder().encode(i === 0 ? '{"s":"' : 'y'.repeat(300)));
        ctl.close();
      },
    });
    const chunked = await fetch(`${base}/open`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
    expect((await post('/open', JSON.stringify({ s: 'x'.repeat(900) }))).status).toBe(200);
  });

  it('malformed and over-deep JSON are 400s naming the path', async () => {
    const bad = await post('/open', '{"a": [1, 2');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ path: '$', code: 'invalid_json' });
    const deep = await post('/open', JSON.stringify({ a: { b: [[[[[[[[1]]]]]]]] } }));
    expect(deep.status).toBe(400);
    const body = await deep.json();
    expect(body).toMatchObject({ code: 'too_deep', path: '$.a.b[0][0][0][0][0][0]' });
    expect(body.error).toContain('$.a.b[0][0][0][0][0][0]');
    const ok = await post('/open', JSON.stringify({ a: { b: [[[[[1]]]]] } }));
    expect(ok.status).toBe(200);
    expect((await ok.json()).got).toEqual({ a: { b: [[[[[1]]]]] } });
  });

  it('pages on other origins are refused; listed origins get CORS headers', async () => {
    const evil = await post('/open', '{}', { origin: 'http://evil.example' });
    expect(evil.status).toBe(403);
    expect((await evil.json()).error).toMatch(/origin http:\/\/evil.example is not allowed/);
    // A "simple" cross-site form post (CSRF) is refused before any route runs.
    const csrf = await fetch(`${base}/open`, { method: 'POST', headers: { origin: 'http://evil.example', 'content-type': 'text/plain' }, body: '{}' });
    expect(csrf.status).toBe(403);
    const same = await post('/open', '{}', { origin: base });
    expect(same.status).toBe(200);
    const pre = await fetch(`${base}/api/echo`, { method: 'OPTIONS', headers: { origin: 'http://editor.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://editor.example');
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    const allowed = await post('/api/echo', '{"x":1}', { origin: 'http://editor.example', authorization: `Bearer ${TOKEN}` });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://editor.example');
  });
});
