import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
import type { GraphStatus, InvokeAck } from '../../shared/protocol.js';
import { tinyBertWeights, writeTinyBert } from '../fixtures/tiny-bert/model.js';
import { beamline } from '../cli/run-cli.js';
import { startServer } from './helpers.js';

/**
 * Model multiplexing (Ray Serve's @serve.multiplexed) through a real server: a classifier
 * node serves the tiny-bert classifiers of one folder, each built here with its own seed
 * and its own labels, so an answer's label names the model that gave it.
 */

const MODELS = ['m0', 'm1', 'm2', 'm3'];
const HEADER = 'serve_multiplexed_model_id';

function muxGraph(name: string, deployment: Record<string, unknown>, kind = 'classifier') {
  return {
    version: 1,
    name,
    routePrefix: `/${name}`,
    nodes: [
      { id: 'input', kind: 'input', position: { x: 0, y: 0 }, config: { fields: { text: 'text' } } },
      { id: 'classify', kind, position: { x: 200, y: 0 }, config: {}, deployment },
      { id: 'output', kind: 'output', position: { x: 400, y: 0 } },
    ],
    edges: [
      { source: 'input', sourceHandle: 'text', target: 'classify', targetHandle: kind === 'classifier' ? 'text' : 'in' },
      { source: 'classify', sourceHandle: kind === 'classifier' ? 'result' : 'out', target: 'output', targetHandle: 'in' },
    ],
  };
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
async function ask(url: string, body: Record<string, unknown>, model?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(model !== undefined ? { [HEADER]: model } : {}) }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

describe('model multiplexing', () => {
  let server: BeamlineServer;
  let modelsDir: string;
  let outside: string;

  /** One counter of /metrics for a graph and model (0 when absent). */
  async function counter(name: string, graph: string, model: string): Promise<number> {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`graph="${graph}"`) && l.includes(`model="${model}"`));
    return line ? Number(line.split(' ').pop()) : 0;
  }
  async function status(graph: string): Promise<GraphStatus> {
    return (await (await fetch(`${server.url}/api/graphs/${graph}`)).json()) as GraphStatus;
  }
  async function deploy(g: unknown): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${server.url}/api/graphs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(g) });
    return { status: res.status, body: await res.json() };
  }

  beforeAll(async () => {
    modelsDir = mkdtempSync(join(tmpdir(), 'beamline-mux-'));
    MODELS.forEach((id, i) => {
      writeTinyBert({ modelsDir: join(modelsDir, 'sentiment'), name: id, weights: tinyBertWeights(2, 100 + i), layout: { task: 'sequence-classification', labels: [`${id}-neg`, `${id}-pos`] } });
    });
    // A model folder that is a link out of the models folder: refused like a path.
    outside = mkdtempSync(join(tmpdir(), 'beamline-mux-outside-'));
    writeTinyBert({ modelsDir: outside, name: 'secret', layout: { task: 'sequence-classification', labels: ['secret-neg', 'secret-pos'] } });
    symlinkSync(join(outside, 'secret'), join(modelsDir, 'sentiment', 'linked'));
    mkdirSync(join(modelsDir, 'empty'));
    // A folder with a model that does not fit a classifier (an encoder without logits).
    writeTinyBert({ modelsDir: join(modelsDir, 'mixed'), name: 'ok', layout: { task: 'sequence-classification', labels: ['a', 'b'] } });
    writeTinyBert({ modelsDir: join(modelsDir, 'mixed'), name: 'encoder', layout: { task: 'feature-extraction' } });
    server = await startServer({ modelsDir });
    const one = await deploy(muxGraph('lru', { numReplicas: 1, multiplex: { modelsFolder: 'sentiment', maxModelsPerReplica: 2, idField: 'model_id' } }));
    expect(one.status).toBe(201);
    const two = await deploy(muxGraph('routed', { numReplicas: 2, multiplex: { modelsFolder: 'sentiment', maxModelsPerReplica: 3 } }));
    expect(two.status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    rmSync(modelsDir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it('answers with the model the header or the body field names (the header first)', async () => {
    const url = `${server.url}/lru`;
    const byHeader = await ask(url, { text: 'a fine day' }, 'm1');
    expect(byHeader.status).toBe(200);
    expect(byHeader.body.label).toMatch(/^m1-/);
    const byField = await ask(url, { text: 'a fine day', model_id: 'm0' });
    expect(byField.status).toBe(200);
    expect(byField.body.label).toMatch(/^m0-/);
    const both = await ask(url, { text: 'a fine day', model_id: 'm0' }, 'm1');
    expect(both.body.label).toMatch(/^m1-/);
  });

  it('takes the model id from a socket.io invoke\'s headers too', async () => {
    const client = io(server.url, { transports: ['websocket'], forceNew: true });
    try {
      const invoke = (headers?: Record<string, string>) =>
        new Promise<InvokeAck>((resolve) => client.emit('invoke', { graph: 'routed', input: { text: 'socket' }, ...(headers ? { headers } : {}) }, resolve));
      const ok = await invoke({ [HEADER]: 'm2' });
      expect(ok).toMatchObject({ ok: true });
      expect((ok as { output: { label: string } }).output.label).toMatch(/^m2-/);
      expect(await invoke({ [HEADER]: 'nope' })).toMatchObject({ ok: false, status: 404 });
      expect(await invoke()).toMatchObject({ ok: false, status: 400 });
    } finally {
      client.close();
    }
  });

  it('keeps maxModelsPerReplica models, evicting the least recently used, and says so in status and /metrics', async () => {
    const url = `${server.url}/lru`;
    for (const m of ['m0', 'm1', 'm2']) expect((await ask(url, { text: 'lru' }, m)).status).toBe(200);
    // m0 and m1 were loaded by the test above; m0 was used before m1, so m2's load evicted m0.
    let replica = (await status('lru')).nodes.classify.replicas[0];
    expect(replica.models).toEqual(['m1', 'm2']);
    expect(await counter('beamline_multiplex_evictions_total', 'lru', 'm0')).toBe(1);
    const loadsBefore = await counter('beamline_multiplex_loads_total', 'lru', 'm0');
    expect(loadsBefore).toBe(1);
    const again = await ask(url, { text: 'lru' }, 'm0');
    expect(again.body.label).toMatch(/^m0-/);
    expect(await counter('beamline_multiplex_loads_total', 'lru', 'm0')).toBe(2);
    replica = (await status('lru')).nodes.classify.replicas[0];
    expect(replica.models).toEqual(['m2', 'm0']);
    // A hit keeps m2 loaded and counts as a hit, not a load.
    const hitsBefore = await counter('beamline_multiplex_hits_total', 'lru', 'm2');
    await ask(url, { text: 'lru' }, 'm2');
    expect(await counter('beamline_multiplex_hits_total', 'lru', 'm2')).toBe(hitsBefore + 1);
    expect(await counter('beamline_multiplex_loads_total', 'lru', 'm2')).toBe(1);
    const node = (await status('lru')).nodes.classify;
    expect(node.multiplex).toMatchObject({ evictions: 2 });
    expect((await (await fetch(`${server.url}/metrics`)).text()).match(/beamline_multiplex_model_latency_ms_count\{[^}]*graph="lru"[^}]*model="m2"\} (\d+)/)?.[1]).toBeDefined();
  });

  it('routes calls for a model to the replica that holds it (model-aware routing)', async () => {
    const url = `${server.url}/routed`;
    for (let i = 0; i < 12; i++) {
      const r = await ask(url, { text: `call ${i}` }, 'm3');
      expect(r.body.label).toMatch(/^m3-/);
    }
    // Power of two choices alone would send about half to each replica, loading m3 on both.
    expect(await counter('beamline_multiplex_loads_total', 'routed', 'm3')).toBe(1);
    expect(await counter('beamline_multiplex_misses_total', 'routed', 'm3')).toBe(1);
    expect(await counter('beamline_multiplex_hits_total', 'routed', 'm3')).toBe(11);
    const holders = (await status('routed')).nodes.classify.replicas.filter((r) => r.models?.includes('m3'));
    expect(holders).toHaveLength(1);
    // A concurrent burst for a model nobody holds loads it once: the first call marks its replica.
    const burst = await Promise.all(Array.from({ length: 6 }, (_, i) => ask(url, { text: `burst ${i}` }, 'm1')));
    expect(burst.every((r) => r.status === 200 && /^m1-/.test(r.body.label))).toBe(true);
    expect(await counter('beamline_multiplex_loads_total', 'routed', 'm1')).toBe(1);
  });

  it('refuses an unknown id with 404 naming it, a path with 400, and loads nothing', async () => {
    const url = `${server.url}/lru`;
    const loads = async () => (await status('lru')).nodes.classify.multiplex?.loads;
    const before = await loads();
    const unknown = await ask(url, { text: 'x' }, 'nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'unknown_model', node: 'classify' });
    expect(unknown.body.error).toContain('"nope"');
    expect(unknown.body.error).toContain(HEADER);
    const unknownField = await ask(url, { text: 'x', model_id: 'gone' });
    expect(unknownField.status).toBe(404);
    expect(unknownField.body.error).toContain('$.model_id');
    for (const bad of ['../sentiment/m0', 'a/b', '..', 'm0\\..\\m1']) {
      const r = await ask(url, { text: 'x', model_id: bad });
      expect(r.status, bad).toBe(400);
      expect(r.body).toMatchObject({ code: 'invalid_model_id', path: '$.model_id' });
    }
    const header = await ask(url, { text: 'x' }, '..');
    expect(header.status).toBe(400);
    expect(header.body.error).toContain(HEADER);
    const linked = await ask(url, { text: 'x' }, 'linked');
    expect(linked.status).toBe(404);
    const wrongType = await ask(url, { text: 'x', model_id: 3 });
    expect(wrongType).toMatchObject({ status: 400, body: { path: '$.model_id' } });
    const none = await ask(url, { text: 'x' });
    expect(none.status).toBe(400);
    expect(none.body).toMatchObject({ code: 'missing_model_id' });
    expect(none.body.error).toContain(HEADER);
    expect(await loads()).toBe(before);
    // The server and the replica are still up.
    expect((await ask(url, { text: 'still here' }, 'm2')).status).toBe(200);
    expect((await status('lru')).nodes.classify.replicas[0].restarts).toBe(0);
  });

  it('refuses multiplexing a kind that cannot, and a models folder outside the models directory', async () => {
    const echo = await deploy(muxGraph('mux-echo', { multiplex: { modelsFolder: 'sentiment' } }, 'test-echo'));
    expect(echo.status).toBe(400);
    expect(JSON.stringify(echo.body)).toContain('$.nodes[1].deployment.multiplex');
    const out = await deploy(muxGraph('mux-out', { multiplex: { modelsFolder: '../elsewhere' } }));
    expect(out.status).toBe(400);
    expect(JSON.stringify(out.body)).toContain('$.nodes[1].deployment.multiplex.modelsFolder');
  });

  it('beamline validate checks every model of the models folder against the kind, and an empty or missing folder', async () => {
    const check = async (folder: string) => {
      const file = join(modelsDir, `graph-${folder}.json`);
      writeFileSync(file, JSON.stringify(muxGraph('v', { multiplex: { modelsFolder: folder } })));
      return beamline(['validate', file, '--models-dir', modelsDir]);
    };
    expect((await check('sentiment')).code).toBe(0);
    for (const [folder, says] of [
      ['empty', 'holds no model folders'],
      ['missing', 'not found'],
      ['mixed', 'model "encoder" in "mixed"'],
    ]) {
      const r = await check(folder);
      expect(r.code, folder).toBe(1);
      expect(r.stdout, folder).toContain('$.nodes[1].deployment.multiplex.modelsFolder');
      expect(r.stdout, folder).toContain(says);
    }
  }, 60_000);
});
