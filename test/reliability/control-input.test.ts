import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
import { get, graph, post, startServer } from '../runtime/helpers.js';

// Hostile control-plane input through a real server: bodies that are empty or
// blank, and route prefixes that no request could reach or that shadow another.

let s: BeamlineServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(() => s.close());

const echo = (name: string, routePrefix: string, tag = name) =>
  graph(name, [{ id: 'n', kind: 'test-echo', config: { tag } }], [
    ['input', 'n'],
    ['n', 'output'],
  ], { routePrefix });
async function raw(path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const res = await fetch(`${s.url}${path}`, { method: 'POST', headers, body });
  return { status: res.status, body: await res.json() };
}

describe('empty and blank bodies', () => {
  it('POST /api/graphs with an empty or blank body is a 400 at $, with or without a JSON content type', async () => {
    for (const [body, headers] of [
      ['', undefined],
      ['  \n\t ', undefined],
      ['', { 'content-type': 'text/plain' }],
      ['', {}],
    ] as const) {
      const r = await raw('/api/graphs', body, headers);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error).toMatch(/body is empty/);
      expect(r.body.errors[0].path).toBe('$');
    }
    const nul = await raw('/api/graphs', 'null');
    expect(nul.status).toBe(400);
    expect(nul.body.errors[0].path).toBe('$');
  });

  it('rollback takes a blank body as {}, and /v1/chat/completions refuses one with 400', async () => {
    expect((await post(`${s.url}/api/graphs`, echo('rb', '/rb', 'one'))).status).toBe(201);
    expect((await post(`${s.url}/api/graphs`, echo('rb', '/rb', 'two'))).status).toBe(200);
    const back = await raw('/api/graphs/rb/rollback', '   ');
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ version: 3, rolledBackFrom: 1 });
    expect((await raw('/v1/chat/completions', '')).status).toBe(400);
    // The server is still there.
    expect((await get(`${s.url}/healthz`)).status).toBe(200);
  });
});

describe('route prefixes', () => {
  it('a trailing slash is dropped, so /echo/ is served at /echo and conflicts with another graph at /echo', async () => {
    const a = await post(`${s.url}/api/graphs`, echo('slash', '/echo/'));
    expect(a.status).toBe(201);
    expect(a.body.status.routePrefix).toBe('/echo');
    expect((await post(`${s.url}/echo`, { x: 1 })).body).toMatchObject({ tag: 'slash', value: 1 });
    expect((await post(`${s.url}/echo/`, { x: 2 })).body).toMatchObject({ tag: 'slash', value: 2 });
    const b = await post(`${s.url}/api/graphs`, echo('plain', '/echo'));
    expect(b.status).toBe(409);
    expect(b.body.error).toMatch(/route \/echo is already served by graph slash/);
    expect((await post(`${s.url}/echo`, { x: 3 })).body).toMatchObject({ tag: 'slash' });
  });

  it('dot segments, empty segments and reserved paths are refused with 400 at $.routePrefix', async () => {
    for (const p of ['/a/../echo', '//api/graphs', '/..', '/x//y', '/api', '/socket.io/x', '/metrics', '/assets/app.js']) {
      const r = await post(`${s.url}/api/graphs`, echo('bad', p));
      expect(r.status, p).toBe(400);
      expect(r.body.errors.map((e: { code: string; path: string }) => `${e.code} ${e.path}`), p).toEqual(['invalid_route_prefix $.routePrefix']);
    }
    expect((await get(`${s.url}/api/graphs/bad`)).status).toBe(404);
  });
});
