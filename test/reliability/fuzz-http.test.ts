import fc from 'fast-check';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
import { post, startServer } from '../runtime/helpers.js';
import { baseGraph, mutatedGraph, randomBody, randomDocument, randomHeaders, weirdValue } from './arbitraries.js';

let s: BeamlineServer;
beforeAll(async () => {
  s = await startServer({ bodyLimitBytes: 256 * 1024 });
  expect((await post(`${s.url}/api/graphs`, baseGraph())).status).toBe(201);
});
afterAll(() => s?.close());

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
async function send(path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<{ status: number; body: any }> {
  // A hang would fail here rather than stall the run.
  const r = await fetch(`${s.url}${path}`, { method: 'POST', headers, body, signal: AbortSignal.timeout(20_000) });
  const text = await r.text();
  try {
    return { status: r.status, body: JSON.parse(text) };
  } catch {
    return { status: r.status, body: text };
  }
}

/** The deployed graph still answers correctly. */
async function stillServing() {
  const r = await post(`${s.url}/fuzzbase`, { text: 'Still HERE' });
  expect(r.status).toBe(200);
  expect(JSON.stringify(r.body)).toContain('still here');
}

/** A refusal names where: a JSON path, or a node, in the message or beside it. */
function namesWhere(status: number, body: { error?: string; path?: string; node?: string; errors?: { path: string; message: string }[] }) {
  expect(status).toBeGreaterThanOrEqual(400);
  expect(status).toBeLessThan(500);
  expect(typeof body.error).toBe('string');
  const where = body.path ?? body.node ?? body.errors?.[0]?.path;
  expect(where, JSON.stringify(body).slice(0, 500)).toBeTruthy();
  if (body.errors) for (const e of body.errors) expect(e.path).toMatch(/^[$?]/);
}

describe('fuzzing a live server', () => {
  it('control plane: mutated graphs deploy or are refused with paths; the deployed graph keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedGraph('fuzzed'), async (doc) => {
        const r = await send('/api/graphs', JSON.stringify(doc));
        if (r.status >= 400) namesWhere(r.status, r.body);
        else expect([200, 201]).toContain(r.status);
        await stillServing();
      }),
      { numRuns: 150 },
    );
  });

  it('control plane: random documents, huge, deep and unicode-heavy ones are 4xx naming the path', async () => {
    await fc.assert(
      fc.asyncProperty(randomDocument, async (doc) => {
        const r = await send('/api/graphs', JSON.stringify(doc) ?? 'null');
        namesWhere(r.status, r.body);
      }),
      { numRuns: 150 },
    );
    // Built as text: 20k levels is deeper than JSON.stringify (or a recursive walker) can go.
    const deepText = `${'{"k":['.repeat(20_000)}1${']}'.repeat(20_000)}`;
    const deep = await send('/api/graphs', JSON.stringify({ ...baseGraph('deep'), extra: 0 }).replace('"extra":0', `"extra":${deepText}`));
    expect(deep.status).toBe(400);
    expect(deep.body.path).toMatch(/^\$\.extra/);
    const huge = await send('/api/graphs', JSON.stringify({ ...baseGraph('huge'), description: 'x'.repeat(300 * 1024) }));
    expect(huge.status).toBe(413);
    const many = await send('/api/graphs', JSON.stringify({ ...baseGraph('many'), nodes: Array.from({ length: 2000 }, (_, i) => ({ id: `n${i}`, kind: 'ünïcødé-☃' })) }));
    namesWhere(many.status, many.body);
    expect(many.body.errors[0]).toMatchObject({ node: 'n0', path: '$.nodes[0].kind' });
    await stillServing();
  });

  it('data plane: random bodies and headers are answered (4xx naming the path) and never take the graph down', async () => {
    await fc.assert(
      fc.asyncProperty(randomBody, randomHeaders, async (body, headers) => {
        const r = await send('/fuzzbase', body, { 'content-type': 'application/json', ...headers, origin: '' });
        if (r.status !== 200) namesWhere(r.status, r.body);
      }),
      { numRuns: 300 },
    );
    await stillServing();
  });

  it('socket.io: random invoke payloads are acked (4xx naming the path or node) and the graph keeps serving', async () => {
    const socket = connect(s.url, { transports: ['websocket'], reconnection: false, forceNew: true });
    try {
      await new Promise<void>((ok, fail) => {
        socket.once('connect', () => ok());
        socket.once('connect_error', fail);
      });
      await fc.assert(
        // Within the message limit: a bigger one closes the connection by design (security-socket.test.ts).
        fc.asyncProperty(
          fc.oneof(randomDocument, fc.record({ graph: fc.constantFrom('fuzzbase', 'nope', ''), input: weirdValue })).filter((p) => Buffer.byteLength(JSON.stringify(p) ?? '') < 200_000),
          async (payload) => {
          const ack = await socket.timeout(20_000).emitWithAck('invoke', payload as never);
          if (!ack.ok) {
            expect(ack.status).toBeGreaterThanOrEqual(400);
            expect(ack.status).toBeLessThan(500);
            expect(typeof ack.error).toBe('string');
            if (ack.status !== 404) expect(ack.path ?? ack.node, JSON.stringify(ack).slice(0, 300)).toBeTruthy();
          }
        }),
        { numRuns: 200 },
      );
      expect(socket.connected).toBe(true);
      const ok = await socket.emitWithAck('invoke', { graph: 'fuzzbase', input: { text: 'Via SOCKET' } });
      expect(ok).toMatchObject({ ok: true });
      await stillServing();
    } finally {
      socket.close();
    }
  });
});
