import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../runtime/models/config.js';
import { onnxBackend } from '../../runtime/nodes/llm/onnx.js';
import { type BeamlineServer, createServer } from '../../runtime/server/index.js';
import { llm as llmKind } from '../../shared/catalog/llm.js';
import { TINY_LLAMA, writeTinyLlama } from '../fixtures/tiny-llama/model.js';
import { callContext, nodeContext } from './helpers.js';

// The llm is the tiny-llama fixture (test/fixtures/tiny-llama), built at test time; llm-onnx.test.ts checks it
// against a reference forward pass. Served answers must equal a direct greedy run of the backend.
const DREAMS = { backend: 'onnx', model: TINY_LLAMA, promptTemplate: '{question}', maxTokens: 24 };
let GREEDY_START = '';

function chatGraph(name: string, llmConfig: Record<string, unknown>) {
  return {
    version: 1,
    name,
    routePrefix: `/${name}`,
    nodes: [
      { id: 'input', kind: 'input', position: { x: 0, y: 0 }, config: { fields: { query: 'text' } }, deployment: {} },
      { id: 'answer', kind: 'llm', position: { x: 200, y: 0 }, config: llmConfig, deployment: {} },
      { id: 'output', kind: 'output', position: { x: 400, y: 0 }, config: {}, deployment: {} },
    ],
    edges: [
      { source: 'input', sourceHandle: 'query', target: 'answer', targetHandle: 'prompt' },
      { source: 'answer', sourceHandle: 'result', target: 'output', targetHandle: 'in' },
    ],
  };
}

describe('OpenAI-compatible endpoint and the openai backend, through a real server', () => {
  let server: BeamlineServer;
  let client: OpenAI;
  let dataDir: string;
  let modelsDir: string;
  const KEY = 'sk-test-secret-do-not-leak';
  const logs: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'beamline-openai-'));
    modelsDir = writeTinyLlama();
    const direct = await onnxBackend(parseConfig(llmKind, DREAMS), nodeContext('llm', modelsDir));
    GREEDY_START = (await direct.generate({ question: 'I dream of', documents: [], ctx: callContext() })).answer;
    await direct.close?.();
    expect(GREEDY_START.length).toBeGreaterThan(10);
    process.env.BEAMLINE_SECRET_TEST_LLM_KEY = KEY;
    server = await createServer({ port: 0, host: '127.0.0.1', cpus: 4, gpus: 0, dataDir, modelsDir, log: (l) => logs.push(l) });
    const dreams = await server.deploy(chatGraph('dreams', DREAMS));
    expect(dreams.ok).toBe(true);
    // A graph whose llm is the openai backend pointed at this same server's /v1: the real protocol both ways.
    const relay = await server.deploy(
      chatGraph('relay', { backend: 'openai', baseUrl: `${server.url}/v1`, model: 'dreams', apiKeyEnv: 'BEAMLINE_SECRET_TEST_LLM_KEY', promptTemplate: '{question}', maxTokens: 24 }),
    );
    expect(relay.ok).toBe(true);
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(modelsDir, { recursive: true, force: true });
    delete process.env.BEAMLINE_SECRET_TEST_LLM_KEY;
  });

  it('lists the graphs with an llm node as models', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids.sort()).toEqual(['dreams', 'relay']);
  });

  it('answers a chat completion without streaming', async () => {
    const r = await client.chat.completions.create({ model: 'dreams', messages: [{ role: 'user', content: 'I dream of' }] });
    expect(r.object).toBe('chat.completion');
    expect(r.choices[0].message.role).toBe('assistant');
    expect(r.choices[0].message.content!.startsWith(GREEDY_START)).toBe(true);
    expect(r.choices[0].finish_reason).toBe('stop');
  });

  it('streams chunks in the OpenAI format, one per token', async () => {
    const stream = await client.chat.completions.create({ model: 'dreams', messages: [{ role: 'user', content: 'I dream of' }], stream: true });
    const pieces: string[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      const c = chunk.choices[0];
      if (c.delta.content) pieces.push(c.delta.content);
      if (c.finish_reason) finish = c.finish_reason;
    }
    expect(pieces.length).toBeGreaterThan(10);
    expect(pieces.join('').startsWith(GREEDY_START)).toBe(true);
    expect(finish).toBe('stop');
  });

  it('the openai backend answers through the endpoint (a graph calling a graph over the OpenAI protocol)', async () => {
    const res = await fetch(`${server.url}/relay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'I dream of' }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { answer: string; backend: string };
    expect(body.backend).toBe('openai');
    expect(body.answer.startsWith(GREEDY_START)).toBe(true);
    // Chained streaming: the relay's openai backend re-emits each token as it arrives.
    const stream = await client.chat.completions.create({ model: 'relay', messages: [{ role: 'user', content: 'I dream of' }], stream: true });
    const pieces: string[] = [];
    for await (const chunk of stream) if (chunk.choices[0].delta.content) pieces.push(chunk.choices[0].delta.content);
    expect(pieces.length).toBeGreaterThan(10);
    expect(pieces.join('')).toBe(body.answer);
  });

  it('an unknown model is a 404 in the OpenAI error format, and the key never shows', async () => {
    await expect(client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    const bad = await server.deploy(chatGraph('broken', { backend: 'openai', baseUrl: `${server.url}/v1`, model: 'nope', apiKeyEnv: 'BEAMLINE_SECRET_TEST_LLM_KEY' }));
    expect(bad.ok).toBe(true);
    const res = await fetch(`${server.url}/broken`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'hi' }) });
    const text = await res.text();
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(text).toContain('404');
    expect(text).not.toContain(KEY);
    expect(logs.join('\n')).not.toContain(KEY);
  });

  it('a bad request body names the field', async () => {
    const res = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'dreams', messages: [{ role: 'robot', content: 'x' }] }) });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; param: string } };
    expect(body.error.param).toBe('messages[0].role');
  });
});
