import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../runtime/models/config.js';
import { openaiBackend } from '../../runtime/nodes/llm/openai.js';
import { llm as llmKind } from '../../shared/catalog/llm.js';
import { callContext, nodeContext } from './helpers.js';

// Protocol variants real servers produce, from a plain node:http server on 127.0.0.1
// (the happy path against Beamline's own /v1 endpoint is in openai-endpoint.test.ts).
const KEY = 'sk-variant-secret';
const seen: { auth?: string; body?: Record<string, unknown> }[] = [];

const chunk = (content: string) => JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content }, finish_reason: null }] });

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  let s = '';
  for await (const c of req) s += c;
  return JSON.parse(s);
}

describe('openai backend against protocol variants', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer(async (req, res) => {
      const body = await readBody(req);
      seen.push({ auth: req.headers.authorization, body });
      const mode = req.url?.split('/')[1];
      if (mode === 'json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'whole answer. STOP here' }, finish_reason: 'stop' }] }));
      } else if (mode === 'denied') {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `bad key ${req.headers.authorization}` } }));
      } else {
        // CRLF line ends, events split across writes, a comment line and an empty delta.
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const raw = `: keep-alive\r\n\r\ndata: ${chunk('Hel')}\r\n\r\ndata: ${chunk('lo, ')}\r\n\r\ndata: {"choices":[{"index":0,"delta":{}}]}\r\n\r\ndata: ${chunk('world')}\r\n\r\ndata: [DONE]\r\n\r\n`;
        for (let i = 0; i < raw.length; i += 7) {
          res.write(raw.slice(i, i + 7));
          await new Promise((r) => setImmediate(r));
        }
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    process.env.BEAMLINE_SECRET_VARIANT_KEY = KEY;
  });
  afterAll(async () => {
    delete process.env.BEAMLINE_SECRET_VARIANT_KEY;
    await new Promise((r) => server.close(r));
  });

  const backend = (path: string, extra: Record<string, unknown> = {}) =>
    openaiBackend(parseConfig(llmKind, { backend: 'openai', baseUrl: `${base}/${path}/v1`, model: 'm', apiKeyEnv: 'BEAMLINE_SECRET_VARIANT_KEY', ...extra }), nodeContext('llm'));

  it('parses a split CRLF event stream, sends the key as a bearer token and the prompt as messages', async () => {
    const tokens: string[] = [];
    const r = await (await backend('sse')).generate({ question: 'Q?', documents: [{ text: 'Doc text.', source: 'd.md', score: 0.5 }], ctx: callContext((t) => tokens.push(t)) });
    expect(r.answer).toBe('Hello, world');
    expect(tokens).toEqual(['Hel', 'lo, ', 'world']);
    expect(r.sources).toEqual([{ source: 'd.md', score: 0.5 }]);
    const last = seen.at(-1)!;
    expect(last.auth).toBe(`Bearer ${KEY}`);
    expect(last.body?.stream).toBe(true);
    const messages = last.body?.messages as { role: string; content: string }[];
    expect(messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(messages[1].content).toBe('Context:\n[1] (d.md) Doc text.\n\nQuestion: Q?');
  });

  it('accepts a server that ignores stream:true, and applies stop strings itself', async () => {
    const r = await (await backend('json', { stop: [' STOP'] })).generate({ question: 'Q', documents: [], ctx: callContext() });
    expect(r.answer).toBe('whole answer.');
  });

  it('reports an HTTP error with its status and never the key', async () => {
    const err = await (await backend('denied')).generate({ question: 'Q', documents: [], ctx: callContext() }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('401');
    expect((err as Error).message).not.toContain(KEY);
  });

  it('names the missing field or environment variable at setup', async () => {
    await expect(openaiBackend(parseConfig(llmKind, { backend: 'openai', model: 'm' }), nodeContext('llm'))).rejects.toThrow(/config\.baseUrl/);
    await expect(openaiBackend(parseConfig(llmKind, { backend: 'openai', baseUrl: base }), nodeContext('llm'))).rejects.toThrow(/config\.model/);
    await expect(backend('sse', { apiKeyEnv: 'BEAMLINE_SECRET_UNSET_KEY_VAR' })).rejects.toThrow(/config\.apiKeyEnv.*BEAMLINE_SECRET_UNSET_KEY_VAR/);
  });
});
