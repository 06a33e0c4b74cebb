import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
import { echoGraph, startServer } from '../runtime/helpers.js';

// With a token set, graph names must not leak: GET /v1/models listed them, and an
// invoke answered 404 for an unknown name and 401 for a protected one.

const TOKEN = 'probe-token-0123456789abcdef';

describe('a server with a token does not tell which graph names exist', () => {
  let s: BeamlineServer;
  const sockets: Socket[] = [];
  const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const json = { 'content-type': 'application/json' };
  beforeAll(async () => {
    s = await startServer({ token: TOKEN });
    expect((await fetch(`${s.url}/api/graphs`, { method: 'POST', headers: auth, body: JSON.stringify(echoGraph('secret-graph')) })).status).toBe(201);
    expect((await fetch(`${s.url}/api/graphs?dataPlane=open`, { method: 'POST', headers: auth, body: JSON.stringify(echoGraph('public')) })).status).toBe(201);
  });
  afterAll(async () => {
    for (const c of sockets) c.close();
    await s?.close();
  });

  async function client(token?: string): Promise<Socket> {
    const c = connect(s.url, { transports: ['websocket'], reconnection: false, forceNew: true, ...(token ? { auth: { token } } : {}) });
    sockets.push(c);
    await new Promise<void>((ok, fail) => {
      c.once('connect', () => ok());
      c.once('connect_error', fail);
    });
    return c;
  }

  it('GET /v1/models needs the token', async () => {
    const anon = await fetch(`${s.url}/v1/models`);
    expect(anon.status).toBe(401);
    const text = await anon.text();
    expect(text).not.toContain('secret-graph');
    expect(JSON.parse(text).error).toMatch(/requires a token/);
    expect((await fetch(`${s.url}/v1/models`, { headers: auth })).status).toBe(200);
  });

  it('socket.io invoke of an unknown graph answers the same 401 as a protected one', async () => {
    const anon = await client();
    const known = await anon.emitWithAck('invoke', { graph: 'secret-graph', input: { x: 1 } });
    const unknown = await anon.emitWithAck('invoke', { graph: 'no-such-graph', input: { x: 1 } });
    expect(known).toMatchObject({ ok: false, status: 401, code: 'unauthorized' });
    expect(unknown).toEqual({ ...known, error: known.error.replace('secret-graph', 'no-such-graph') });
    // Open graphs stay open; with the token an unknown name is a plain 404.
    expect(await anon.emitWithAck('invoke', { graph: 'public', input: { x: 2 } })).toMatchObject({ ok: true, output: 2 });
    const authed = await client(TOKEN);
    expect(await authed.emitWithAck('invoke', { graph: 'no-such-graph', input: { x: 1 } })).toMatchObject({ ok: false, status: 404 });
    expect(await authed.emitWithAck('invoke', { graph: 'secret-graph', input: { x: 3 } })).toMatchObject({ ok: true, output: 3 });
  });

  it('over HTTP too: an unknown route or model answers as a protected one does', async () => {
    const post = (path: string, body: string, headers: Record<string, string> = json) => fetch(`${s.url}${path}`, { method: 'POST', headers, body });
    const known = await post('/secret-graph', '{"x":1}');
    const unknown = await post('/no-such-graph', '{"x":1}');
    expect(known.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect((await unknown.json()).error).toBe((await known.json()).error.replace('/secret-graph', '/no-such-graph'));
    expect(unknown.headers.get('www-authenticate')).toBe(known.headers.get('www-authenticate'));
    const chat = (model: string) => post('/v1/chat/completions', JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }));
    const knownModel = await chat('secret-graph');
    const unknownModel = await chat('no-such-graph');
    expect(knownModel.status).toBe(401);
    expect(unknownModel.status).toBe(401);
    expect((await unknownModel.json()).error).toBe((await knownModel.json()).error.replace('secret-graph', 'no-such-graph'));
    // With the token, the truth.
    expect((await post('/no-such-graph', '{"x":1}', auth)).status).toBe(404);
    expect((await post('/public', '{"x":4}')).status).toBe(200);
  });
});

describe("--cors-origin '*'", () => {
  it('without a token logs a warning at start; with one it does not', async () => {
    const lines: string[] = [];
    const open = await startServer({ corsOrigins: ['*'], log: (l) => lines.push(l) });
    await open.close();
    expect(lines.find((l) => l.includes("--cors-origin '*' without a token"))).toMatch(/any web page .* can deploy, delete and invoke graphs/);
    const quiet: string[] = [];
    const withToken = await startServer({ corsOrigins: ['*'], token: TOKEN, log: (l) => quiet.push(l) });
    await withToken.close();
    expect(quiet.filter((l) => l.includes('--cors-origin'))).toEqual([]);
  });
});
