import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectCommand } from '../../runtime/cli/models.js';
import { validate } from '../../runtime/cli/validate.js';
import { type BeamlineServer, createServer } from '../../runtime/server/index.js';
import { writeTinyBert } from '../fixtures/tiny-bert/model.js';
import { writeTinyLlama } from '../fixtures/tiny-llama/model.js';
import { REPO } from './helpers.js';

/** Runs a CLI function with stdout and stderr captured. */
function capture(f: () => number): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const [o, e] = [process.stdout.write, process.stderr.write];
  process.stdout.write = ((s: string) => {
    out += s;
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => {
    err += s;
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: f(), out, err };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

let modelsDir: string;
beforeAll(() => {
  modelsDir = mkdtempSync(join(tmpdir(), 'beamline-inspect-'));
  writeTinyBert({ modelsDir, name: 'minilm-like', layout: { task: 'feature-extraction', tokenTypeIds: true } });
  writeTinyBert({ modelsDir, name: 'sentiment', layout: { task: 'sequence-classification', labels: ['NEGATIVE', 'POSITIVE'] } });
  writeTinyBert({ modelsDir, name: 'no-tokenizer', layout: { task: 'feature-extraction' }, omit: ['tokenizer.json'] });
  writeTinyLlama({ modelsDir, name: 'llama' });
});
afterAll(() => rmSync(modelsDir, { recursive: true, force: true }));

describe('beamline models inspect', () => {
  it('prints what each node would do with a folder: inputs, outputs, pooling, dimension, tokenizer, maximum length', () => {
    const r = capture(() => inspectCommand('minilm-like', { modelsDir }));
    expect(r.code).toBe(0);
    expect(r.out).toContain('inputs:  input_ids int64 [batch_size, sequence_length], attention_mask int64 [batch_size, sequence_length], token_type_ids int64 [batch_size, sequence_length]');
    expect(r.out).toContain('outputs: last_hidden_state float32 [batch_size, sequence_length, 16]');
    expect(r.out).toMatch(/tokenizer: WordPiece, \d+ ids/);
    expect(r.out).toContain('template [CLS] $A [SEP]');
    expect(r.out).toContain('maximum length: 32 tokens (longer texts are cut and counted)');
    expect(r.out).toMatch(/embedder: +fits: masked mean of last_hidden_state float32 \[batch_size, sequence_length, 16\], L2-normalised: 16 dimensions/);
    expect(r.out).toMatch(/classifier: +does not fit: it has no "logits" output/);
  });

  it('--kind: labels for a classifier; exit 1 with the reason and the fix when the folder does not fit', () => {
    const ok = capture(() => inspectCommand('sentiment', { modelsDir, kind: 'classifier' }));
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/classifier: +fits: softmax over logits float32 \[batch_size, 2\]: NEGATIVE, POSITIVE/);
    const no = capture(() => inspectCommand('sentiment', { modelsDir, kind: 'embedder' }));
    expect(no.code).toBe(1);
    expect(no.out).toMatch(/embedder: +does not fit: it outputs logits \[batch_size, 2\], a classifier's output/);
    expect(no.out).toContain('fix: export the base model for feature extraction (optimum-cli export onnx --task feature-extraction)');
    const llm = capture(() => inspectCommand(join(modelsDir, 'llama'), { kind: 'llm', json: true }));
    expect(llm.code).toBe(0);
    expect(JSON.parse(llm.out).fits[0]).toMatchObject({ role: 'causal-lm', ok: true, summary: expect.stringContaining('grouped-query attention (4 query heads)') });
  });

  it('the builtin sentence encoder: pooled output, 512 dimensions, Unigram, 128 tokens', () => {
    const r = capture(() => inspectCommand('builtin:use-lite', { kind: 'embedder', json: true }));
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report).toMatchObject({ ok: true, maxLength: 128, tokenizer: { type: 'Unigram', size: 8000 }, fits: [{ role: 'embedder', ok: true, pooling: 'pooled', dimension: 512, output: 'sentence_embedding' }] });
  });

  it('missing files, unknown folders and kinds', () => {
    const missing = capture(() => inspectCommand('no-tokenizer', { modelsDir }));
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(/problem: .*no-tokenizer\/tokenizer\.json is missing/);
    const gone = capture(() => inspectCommand('nowhere', { modelsDir }));
    expect(gone.code).toBe(1);
    expect(gone.err).toMatch(/model folder "nowhere" not found/);
    expect(capture(() => inspectCommand('minilm-like', { modelsDir, kind: 'sorter' })).code).toBe(2);
  });

  it('is a verb of the beamline command', () => {
    const r = spawnSync(process.execPath, [join(REPO, 'bin/beamline.js'), 'models', 'inspect', 'builtin:glove-100d', '--kind', 'embedder'], { cwd: REPO, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/embedder: +fits: uses its pooled output sentence_embedding float32 \[batch, 100\] as is: 100 dimensions/);
  });
});

describe('validate refuses a model folder that cannot work with its node', () => {
  const graph = (nodes: Record<string, unknown>[], edges: Record<string, unknown>[]) => ({ version: 1, name: 'm', routePrefix: '/m', nodes: [{ id: 'in', kind: 'input', config: { fields: { text: 'text' } } }, ...nodes, { id: 'out', kind: 'output' }], edges });

  it('names the node, the config path and the missing output or file, with the fix; a fitting graph passes', () => {
    const file = join(modelsDir, 'graph.json');
    writeFileSync(
      file,
      JSON.stringify(
        graph(
          [
            { id: 'embed', kind: 'embedder', config: { model: 'sentiment' } },
            { id: 'label', kind: 'classifier', config: { model: 'no-tokenizer' } },
          ],
          [
            { source: 'in', sourceHandle: 'text', target: 'embed', targetHandle: 'text' },
            { source: 'in', sourceHandle: 'text', target: 'label', targetHandle: 'text' },
            { source: 'embed', sourceHandle: 'vector', target: 'out', targetHandle: 'in' },
          ],
        ),
      ),
    );
    const r = capture(() => validate(file, { modelsDir, json: true }));
    expect(r.code).toBe(1);
    const { errors } = JSON.parse(r.out);
    expect(errors).toEqual([
      expect.objectContaining({ node: 'embed', path: '$.nodes[1].config.model', message: expect.stringMatching(/^model "sentiment": .*sentiment\/model\.onnx cannot work as an embedder: it outputs logits \[batch_size, 2\]/), fix: expect.stringContaining('--task feature-extraction') }),
      expect.objectContaining({ node: 'label', path: '$.nodes[2].config.model', message: expect.stringMatching(/no-tokenizer\/tokenizer\.json is missing/) }),
    ]);
    writeFileSync(
      file,
      JSON.stringify(graph([{ id: 'embed', kind: 'embedder', config: { model: 'minilm-like' } }], [{ source: 'in', sourceHandle: 'text', target: 'embed', targetHandle: 'text' }, { source: 'embed', sourceHandle: 'vector', target: 'out', targetHandle: 'in' }])),
    );
    expect(capture(() => validate(file, { modelsDir })).code).toBe(0);
  });
});

describe('POST /api/models/inspect (the editor inspector reads it)', () => {
  let server: BeamlineServer;
  beforeAll(async () => {
    server = await createServer({ port: 0, host: '127.0.0.1', cpus: 2, dataDir: join(modelsDir, 'data'), modelsDir, log: () => {} });
  });
  afterAll(() => server?.close());
  const post = async (body: unknown) => {
    const res = await fetch(`${server.url}/api/models/inspect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  };

  it('answers the report for the node kind and config, the problem and fix when it does not fit, 400 on a bad kind', async () => {
    const ok = await post({ kind: 'embedder', config: { model: 'minilm-like' } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ model: 'minilm-like', role: 'embedder', ok: true });
    expect(ok.body.text).toMatch(/embedder: +fits: masked mean of last_hidden_state/);
    const no = await post({ kind: 'reranker', config: { mode: 'cross-encoder', model: 'minilm-like' } });
    expect(no.body).toMatchObject({ role: 'cross-encoder', ok: false, problem: expect.stringContaining('has no "logits" output'), fix: expect.stringContaining('text-classification') });
    expect((await post({ kind: 'retriever', config: {} })).body).toEqual({ model: null });
    const outside = await post({ kind: 'embedder', config: { model: '../../etc' } });
    expect(outside.body).toMatchObject({ ok: false, problem: expect.stringContaining('must not contain ".." segments') });
    expect((await post({ kind: 'nope' })).status).toBe(400);
  });
});
