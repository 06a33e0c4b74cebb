import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClassifier } from '../../runtime/nodes/classifier.js';
import { createEmbedder } from '../../runtime/nodes/embedder.js';
import { type BeamlineServer, createServer } from '../../runtime/server/index.js';
import type { ClientToServerEvents, InvokeAck, ServerToClientEvents } from '../../shared/protocol.js';
import { callContext, nodeContext } from './helpers.js';
import { parseConfig } from '../../runtime/models/config.js';
import { onnxBackend } from '../../runtime/nodes/llm/onnx.js';
import { llm as llmKind } from '../../shared/catalog/llm.js';
import { TINY_LLAMA, writeTinyLlama } from '../fixtures/tiny-llama/model.js';

/** The tiny-llama fixture (test/fixtures/tiny-llama), checked against a reference forward pass in llm-onnx.test.ts. */
const DREAMS = { backend: 'onnx', model: TINY_LLAMA, promptTemplate: '{question}', maxTokens: 24 };

type Spec = { id: string; kind: string; config?: Record<string, unknown>; deployment?: Record<string, unknown> };

/** input(fields) -> one node -> output, wired port by port. */
function oneNode(name: string, fields: Record<string, string>, node: Spec, wires: [string, string][], out: string) {
  return {
    version: 1,
    name,
    routePrefix: `/${name}`,
    nodes: [
      { id: 'input', kind: 'input', position: { x: 0, y: 0 }, config: { fields }, deployment: {} },
      { position: { x: 200, y: 0 }, config: {}, deployment: {}, ...node },
      { id: 'output', kind: 'output', position: { x: 400, y: 0 }, config: {}, deployment: {} },
    ],
    edges: [
      ...wires.map(([from, to]) => ({ source: 'input', sourceHandle: from, target: node.id, targetHandle: to })),
      { source: node.id, sourceHandle: out, target: 'output', targetHandle: 'in' },
    ],
  };
}

const post = async (url: string, body: unknown) => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

const SENTENCES = Array.from({ length: 24 }, (_, i) =>
  i % 3 === 0 ? `I love this wonderful film number ${i}.` : i % 3 === 1 ? `A terrible, boring day number ${i}.` : `Kubernetes schedules container ${i} onto a node.`,
);

describe('model nodes served by the runtime (worker replicas, batching, socket.io)', () => {
  let server: BeamlineServer;
  let dataDir: string;
  let modelsDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'beamline-models-'));
    // builtin: models come from the repository's models/; the llm is the tiny-llama fixture built here.
    modelsDir = writeTinyLlama();
    server = await createServer({ port: 0, host: '127.0.0.1', cpus: 4, gpus: 0, dataDir, modelsDir, log: () => {} });
    const batching = { numReplicas: 1, batching: { maxBatchSize: 8, batchWaitTimeoutMs: 20 } };
    // Batches that go only when full (8 queued, or the replica holds its 8): batched whatever the arrival times.
    const fullBatches = { numReplicas: 1, maxOngoingRequests: 8, batching: { maxBatchSize: 8, batchWaitTimeoutMs: 60_000 } };
    for (const g of [
      oneNode('sentiment', { text: 'text' }, { id: 'classify', kind: 'classifier', config: { model: 'builtin:vader-sentiment' }, deployment: fullBatches }, [['text', 'text']], 'result'),
      oneNode('embed', { text: 'text' }, { id: 'embed', kind: 'embedder', config: { model: 'builtin:glove-100d' }, deployment: batching }, [['text', 'text']], 'vector'),
      oneNode(
        'rerank',
        { query: 'text', documents: 'documents' },
        { id: 'rerank', kind: 'reranker', config: { model: 'builtin:glove-100d', topK: 1 }, deployment: batching },
        [
          ['query', 'query'],
          ['documents', 'documents'],
        ],
        'documents',
      ),
      oneNode('dreams', { query: 'text' }, { id: 'llm', kind: 'llm', config: DREAMS }, [['query', 'prompt']], 'result'),
    ]) {
      const r = await server.deploy(g);
      expect(r.ok, JSON.stringify(r)).toBe(true);
    }
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(modelsDir, { recursive: true, force: true });
  });

  it('classifier: concurrent requests, batched, each gets its own label equal to a direct run', async () => {
    const direct = await createClassifier({ model: 'builtin:vader-sentiment' }, nodeContext('classifier'));
    const expected = await direct.classify(SENTENCES);
    await direct.close();
    const res = await Promise.all(SENTENCES.map((text) => post(`${server.url}/sentiment`, { text })));
    res.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(r.body.label).toBe(expected[i].label);
      expect(r.body.score as number).toBeCloseTo(expected[i].score, 6);
    });
    const status = (await (await fetch(`${server.url}/api/graphs/sentiment`)).json()) as { status?: { nodes: Record<string, { metrics: { batchSize: number | null } }> }; nodes?: Record<string, { metrics: { batchSize: number | null } }> };
    const nodes = status.status?.nodes ?? status.nodes;
    expect(nodes?.classify.metrics.batchSize).toBe(8);
  });

  it('embedder: concurrent requests return the same vectors as a direct run', async () => {
    const direct = await createEmbedder({ model: 'builtin:glove-100d' }, nodeContext('embedder'));
    const expected = await direct.embed(SENTENCES);
    await direct.close();
    const res = await Promise.all(SENTENCES.map((text) => post(`${server.url}/embed`, { text })));
    res.forEach((r, i) => {
      expect(r.status).toBe(200);
      const v = r.body as unknown as number[];
      expect(v.length).toBe(100);
      for (let k = 0; k < 100; k++) expect(v[k]).toBeCloseTo(expected[i][k], 6);
    });
  });

  it('reranker: keeps the best document; a malformed document fails only its own request with its path', async () => {
    const docs = [
      { id: 'a', text: 'The stock market fell sharply today.', source: 'a.md', chunk: 0, score: 0.9 },
      { id: 'b', text: 'Someone plays an acoustic guitar on stage.', source: 'b.md', chunk: 0, score: 0.1 },
    ];
    const [good, bad] = await Promise.all([
      post(`${server.url}/rerank`, { query: 'A man is playing a guitar.', documents: docs }),
      post(`${server.url}/rerank`, { query: 'guitar', documents: [{ id: 'x', body: 'no text' }] }),
    ]);
    expect(good.status).toBe(200);
    expect((good.body as unknown as { id: string }[]).map((d) => d.id)).toEqual(['b']);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('documents[0].text');
  });

  it('onnx llm: tokens arrive one by one over socket.io before the ack', async () => {
    const client: Socket<ServerToClientEvents, ClientToServerEvents> = io(server.url, { transports: ['websocket'], forceNew: true });
    await new Promise<void>((ok, fail) => {
      client.once('connect', ok);
      client.once('connect_error', fail);
    });
    const tokens: string[] = [];
    let acked = false;
    let beforeAck = 0;
    client.on('token', (e) => {
      if (e.requestId !== 'dream-1') return;
      tokens.push(e.token);
      if (!acked) beforeAck++;
    });
    const ack = await new Promise<InvokeAck>((ok) => client.emit('invoke', { graph: 'dreams', input: { query: 'I dream of' }, requestId: 'dream-1' }, ok));
    acked = true;
    client.close();
    expect(ack.ok).toBe(true);
    const answer = (ack as { output: { answer: string } }).output.answer;
    const direct = await onnxBackend(parseConfig(llmKind, DREAMS), nodeContext('llm', modelsDir));
    const expected = (await direct.generate({ question: 'I dream of', documents: [], ctx: callContext() })).answer;
    await direct.close?.();
    expect(answer).toBe(expected);
    expect(beforeAck).toBeGreaterThan(10);
    expect(beforeAck).toBe(tokens.length);
    expect(tokens.join('')).toBe(answer);
  });
});
