import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
import { echoGraph, graph, startServer, TESTKIT, until } from '../runtime/helpers.js';

const KINDS = fileURLToPath(new URL('../fixtures/reliability/kinds.ts', import.meta.url));
const TOKEN = 'h8-control-token-0123456789';
const SECRET = 'sk-h8-secret-value-abcdef';
const GRAPH_SECRET_ENV = 'H8_TEST_API_KEY';


describe('a server bound off loopback', () => {
  it('refuses to start without a token unless --insecure', async () => {
    await expect(startServer({ host: '0.0.0.0' })).rejects.toThrow(/refusing to listen on 0.0.0.0 without a token.*--insecure/);
    const insecure = await startServer({ host: '0.0.0.0', insecure: true });
    await insecure.close();
    const withToken = await startServer({ host: '0.0.0.0', token: TOKEN });
    await withToken.close();
  });
});

describe('a server with a token', () => {
  let s: BeamlineServer;
  const lines: string[] = [];
  const sockets: Socket[] = [];
  const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

  beforeAll(async () => {
    process.env[GRAPH_SECRET_ENV] = SECRET;
    s = await startServer({ token: TOKEN, nodes: [TESTKIT, KINDS], corsOrigins: ['http://editor.example'], log: (l) => lines.push(l) });
  });
  afterAll(async () => {
    for (const c of sockets) c.close();
    await s?.close();
    delete process.env[GRAPH_SECRET_ENV];
  });

  const call = (path: string, init: RequestInit = {}) => fetch(`${s.url}${path}`, init);
  const deploy = (doc: unknown, query = '') => call(`/api/graphs${query}`, { method: 'POST', headers: auth, body: JSON.stringify(doc) });

  it('the control plane (deploy, list, versions, rollback, delete) needs the token', async () => {
    expect((await call('/api/graphs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(echoGraph('p')) })).status).toBe(401);
    expect((await call('/api/graphs', { method: 'POST', headers: { ...auth, authorization: `Bearer ${TOKEN}-` }, body: JSON.stringify(echoGraph('p')) })).status).toBe(401);
    expect((await deploy(echoGraph('p'))).status).toBe(201);
    for (const [method, path] of [
      ['GET', '/api/graphs'],
      ['GET', '/api/graphs/p'],
      ['GET', '/api/graphs/p/versions'],
      ['GET', '/api/graphs/p/versions/1'],
      ['POST', '/api/graphs/p/rollback'],
      ['DELETE', '/api/graphs/p'],
    ]) {
      const r = await call(path, { method });
      expect(r.status, `${method} ${path}`).toBe(401);
      expect((await r.json()).error).toMatch(/requires a token/);
    }
    expect((await call('/api/graphs/p/versions', { headers: auth })).status).toBe(200);
    const doc = await (await call('/api/openapi.json', { headers: auth })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/graphs/{name}/versions', '/api/graphs/{name}/versions/{version}', '/api/graphs/{name}/rollback']));
    expect((await call('/api/graphs/p', { method: 'DELETE', headers: auth })).status).toBe(200);
  });

  it('a graph is token-protected by default and can be opened per graph', async () => {
    expect((await deploy(echoGraph('closed'))).status).toBe(201);
    expect((await deploy(echoGraph('public'), '?dataPlane=open')).status).toBe(201);
    const body = JSON.stringify({ x: 7 });
    const closed = await call('/closed', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(closed.status).toBe(401);
    expect((await closed.json()).error).toMatch(/POST \/closed requires a token/);
    expect(await (await call('/closed', { method: 'POST', headers: auth, body })).json()).toBe(7);
    expect(await (await call('/public', { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json()).toBe(7);
    const bad = await deploy(echoGraph('odd'), '?dataPlane=maybe');
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors[0].path).toBe('?dataPlane');
  });

  it('socket.io: subscribing needs the token, invoking follows the graph rule', async () => {
    const anon = connect(s.url, { transports: ['websocket'], reconnection: false, forceNew: true });
    const authed = connect(s.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: TOKEN } });
    sockets.push(anon, authed);
    await until(() => anon.connected && authed.connected, 'socket connections');
    expect(await anon.emitWithAck('subscribe', { graph: 'public' })).toMatchObject({ ok: false, status: 401 });
    expect(await authed.emitWithAck('subscribe', { graph: 'public' })).toMatchObject({ ok: true });
    expect(await anon.emitWithAck('invoke', { graph: 'public', input: { x: 1 } })).toMatchObject({ ok: true, output: 1 });
    expect(await anon.emitWithAck('invoke', { graph: 'closed', input: { x: 1 } })).toMatchObject({ ok: false, status: 401 });
    expect(await authed.emitWithAck('invoke', { graph: 'closed', input: { x: 2 } })).toMatchObject({ ok: true, output: 2 });
  });

  it('browsers on other origins are refused; the configured origin gets CORS headers', async () => {
    const evil = await call('/public', { method: 'POST', headers: { 'content-type': 'text/plain', origin: 'http://evil.example' }, body: '{"x":1}' });
    expect(evil.status).toBe(403);
    const evilApi = await call('/api/graphs', { method: 'POST', headers: { ...auth, origin: 'http://evil.example' }, body: JSON.stringify(echoGraph('csrf')) });
    expect(evilApi.status).toBe(403);
    const ok = await call('/public', { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://editor.example' }, body: '{"x":1}' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://editor.example');
    const pre = await call('/api/graphs', { method: 'OPTIONS', headers: { origin: 'http://editor.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' } });
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://editor.example');
    const evilSocket = connect(s.url, { transports: ['polling'], reconnection: false, forceNew: true, extraHeaders: { origin: 'http://evil.example' } });
    sockets.push(evilSocket);
    await expect(
      new Promise<void>((ok, fail) => {
        evilSocket.once('connect', () => ok());
        evilSocket.once('connect_error', fail);
      }),
    ).rejects.toThrow();
  });

  it('files outside the allowed directories and custom code are refused at deploy with the field named', async () => {
    const embed = graph('esc', [{ id: 'emb', kind: 'embedder', config: { model: '../../../../etc' } }], []);
    embed.edges = [
      { source: 'input', sourceHandle: 'x', target: 'emb', targetHandle: 'text' },
      { source: 'emb', sourceHandle: 'vector', target: 'output', targetHandle: 'in' },
    ];
    embed.nodes[0].config = { fields: { x: 'text' } };
    const r = await deploy(embed);
    expect(r.status).toBe(400);
    const body = await r.json();
    expect(body.errors[0]).toMatchObject({ node: 'emb', path: '$.nodes[1].config.model' });
    expect(body.errors[0].message).toMatch(/outside the models directory/);
    const custom = graph('cust', [{ id: 'fn', kind: 'custom', config: { module: 'mine.js' } }], [
      ['input', 'fn'],
      ['fn', 'output'],
    ]);
    const c = await deploy(custom);
    expect(c.status).toBe(400);
    const cb = await c.json();
    expect(cb.errors[0]).toMatchObject({ node: 'fn', path: '$.nodes[1].config.module' });
    expect(cb.errors[0].fix).toMatch(/--allow-custom/);
    expect((await call('/api/graphs/esc/versions', { headers: auth })).status).toBe(404);
  });

  it('secrets named by a config never come back from the API or reach the log', async () => {
    const g = graph('keyed', [{ id: 'k', kind: 'test-leakylog', config: { apiKeyEnv: GRAPH_SECRET_ENV } }], [
      ['input', 'k'],
      ['k', 'output'],
    ]);
    expect((await deploy(g)).status).toBe(201);
    const failed = await call('/keyed', { method: 'POST', headers: auth, body: '{"x":1}' });
    expect(failed.status).toBe(500);
    const texts = [
      await failed.text(),
      await (await call('/api/graphs/keyed', { headers: auth })).text(),
      await (await call('/api/graphs', { headers: auth })).text(),
      await (await call('/api/graphs/keyed/versions/1', { headers: auth })).text(),
    ];
    await until(() => lines.some((l) => l.includes('connecting with key')), 'the node to log');
    for (const t of [...texts, ...lines]) expect(t).not.toContain(SECRET);
    expect(lines.find((l) => l.includes('connecting with key'))).toContain('[redacted]');
    // The env var's name is not a secret: the graph document keeps it.
    expect(texts[1]).toContain(GRAPH_SECRET_ENV);
  });
});

describe('custom code allowed by the operator', () => {
  it('runs a module from an allowed directory, and nothing outside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'beamline-modules-'));
    writeFileSync(join(dir, 'shout.mjs'), 'export default (input) => String(input).toUpperCase();\n');
    const s = await startServer({ moduleDirs: [dir] });
    try {
      const doc = (module: string) =>
        graph('cust', [{ id: 'fn', kind: 'custom', config: { module } }], [
          ['input', 'fn'],
          ['fn', 'output'],
        ]);
      const post = (path: string, body: unknown) => fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const outside = await post('/api/graphs', doc('../escape.mjs'));
      expect(outside.status).toBe(400);
      expect((await outside.json()).errors[0]).toMatchObject({ node: 'fn', path: '$.nodes[1].config.module' });
      expect((await post('/api/graphs', doc('shout.mjs'))).status).toBe(201);
      expect(await (await post('/cust', { x: 'quiet' })).json()).toBe('QUIET');
    } finally {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
