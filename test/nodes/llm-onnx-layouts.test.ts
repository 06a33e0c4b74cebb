import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectFolder } from '../../runtime/models/layout.js';
import { parseConfig } from '../../runtime/models/config.js';
import { floatData, openSession, ort, type Session } from '../../runtime/models/onnx-session.js';
import { TextTokenizer } from '../../runtime/models/tokenizer.js';
import { onnxBackend } from '../../runtime/nodes/llm/onnx.js';
import { cosine } from '../../runtime/models/vectors.js';
import { llm as llmKind } from '../../shared/catalog/llm.js';
import { TINY_LLAMA, type TinyLlamaLayout, tinyLlamaWeights, writeTinyLlama } from '../fixtures/tiny-llama/model.js';
import { referenceGreedy, referenceLogits } from '../fixtures/tiny-llama/reference.js';
import { callContext, nodeContext } from './helpers.js';

/**
 * The decoder-only KV-cache layout in the variants Optimum exports (docs/models.md): without a
 * position_ids input (the model counts positions from attention_mask), float16 weights, cache and
 * logits, and dynamic int8 weights (DynamicQuantizeLinear + MatMulInteger). Same weights as
 * llm-onnx.test.ts's fixture; grouped-query attention (4 query heads, 2 KV heads) in all of them.
 */
const PROMPT = 'I dream of';
const weights = tinyLlamaWeights();
const base = { backend: 'onnx', promptTemplate: '{question}', temperature: 0 };

const variants: Record<string, TinyLlamaLayout> = {
  'no-position-ids': { positionIds: false },
  fp16: { precision: 'fp16' },
  int8: { precision: 'int8' },
};

let modelsDir: string;
let promptIds: number[];
beforeAll(() => {
  modelsDir = writeTinyLlama({ weights });
  for (const [name, layout] of Object.entries(variants)) writeTinyLlama({ modelsDir, name, weights, layout });
  promptIds = TextTokenizer.load(join(modelsDir, TINY_LLAMA)).encode(PROMPT, 64);
});
afterAll(() => rmSync(modelsDir, { recursive: true, force: true }));

/** Runs one variant's session over ids (with a cache from an earlier call), feeding only the inputs it declares. */
async function step(session: Session, ids: number[], pastLen: number, past?: Record<string, ort.Tensor>) {
  const int64 = (xs: number[]) => new ort.Tensor('int64', BigInt64Array.from(xs.map(BigInt)), [1, xs.length]);
  const feeds: Record<string, ort.Tensor> = { input_ids: int64(ids), attention_mask: int64(new Array(pastLen + ids.length).fill(1)) };
  if (session.inputNames.includes('position_ids')) feeds.position_ids = int64(ids.map((_, i) => pastLen + i));
  for (const name of session.inputNames) {
    const m = /^past_key_values\.(\d+)\.(key|value)$/.exec(name);
    if (!m) continue;
    const meta = session.inputMetadata.find((x) => x.name === name) as { type?: string } | undefined;
    const empty = meta?.type === 'float16' ? new ort.Tensor('float16', new Uint16Array(0), [1, 2, 0, 8]) : new ort.Tensor('float32', new Float32Array(0), [1, 2, 0, 8]);
    feeds[name] = past?.[`present.${m[1]}.${m[2]}`] ?? empty;
  }
  const out = await session.run(feeds);
  const vocab = Number(out.logits.dims[2]);
  const all = floatData(out.logits);
  return { last: all.slice((ids.length - 1) * vocab), out, type: out.logits.type };
}

describe('tiny-llama export variants through onnxruntime and the onnx llm backend', () => {
  it('inspect tells the variants apart: positions, precision, grouped-query attention', () => {
    const report = (name: string) => inspectFolder(join(modelsDir, name), ['causal-lm']);
    expect(report(TINY_LLAMA).fits[0].summary).toBe('decodes with a KV cache: 2 layers, 2 key/value heads x 8, grouped-query attention (4 query heads), position_ids fed');
    expect(report('no-position-ids').fits[0].summary).toContain('positions computed by the model (no position_ids input)');
    expect(report('fp16').fits[0].summary).toContain('float16 cache');
    expect(report('fp16').onnx?.weights).toBe('float16');
    expect(report('int8').onnx?.weights).toMatch(/^int8 dynamic quantisation/);
    for (const name of [TINY_LLAMA, ...Object.keys(variants)]) expect(report(name).fits[0].ok).toBe(true);
  });

  it('without position_ids, logits with the KV cache equal the reference at every step, and greedy decoding equals it', async () => {
    const session = (await openSession(join(modelsDir, 'no-position-ids', 'model.onnx'), { type: 'cpu' })).session;
    expect(session.inputNames).not.toContain('position_ids');
    const ids = [...promptIds];
    let r = await step(session, ids, 0);
    for (let k = 0; k < 8; k++) {
      const ref = referenceLogits(weights, ids).at(-1)!;
      expect(Math.max(...Array.from(r.last, (v, i) => Math.abs(v - ref[i])))).toBeLessThan(1e-4);
      let best = 0;
      for (let i = 1; i < ref.length; i++) if (ref[i] > ref[best]) best = i;
      ids.push(best);
      r = await step(session, [best], ids.length - 1, r.out);
    }
    await session.release();
    const backend = await onnxBackend(parseConfig(llmKind, { ...base, model: 'no-position-ids', maxTokens: 16 }), nodeContext('llm', modelsDir));
    const got = await backend.generate({ question: PROMPT, documents: [], ctx: callContext() });
    expect(got.tokens).toEqual(referenceGreedy(weights, promptIds, 16));
    await backend.close?.();
  });

  it.each([
    ['fp16', 0.9999],
    ['int8', 0.99],
  ])('%s: float logits stay close to the float32 export with the KV cache, and the backend generates from them', async (name, minCosine) => {
    const [f32, variant] = await Promise.all([TINY_LLAMA, name].map(async (n) => (await openSession(join(modelsDir, n, 'model.onnx'), { type: 'cpu' })).session));
    const ids = [...promptIds];
    let [a, b] = await Promise.all([step(f32, ids, 0), step(variant, ids, 0)]);
    expect(b.type).toBe(name === 'fp16' ? 'float16' : 'float32');
    for (let k = 0; k < 6; k++) {
      expect(cosine(a.last, b.last)).toBeGreaterThan(minCosine);
      let best = 0;
      for (let i = 1; i < a.last.length; i++) if (a.last[i] > a.last[best]) best = i;
      ids.push(best);
      [a, b] = await Promise.all([step(f32, [best], ids.length - 1, a.out), step(variant, [best], ids.length - 1, b.out)]);
    }
    await Promise.all([f32.release(), variant.release()]);
    const backend = await onnxBackend(parseConfig(llmKind, { ...base, model: name, maxTokens: 8 }), nodeContext('llm', modelsDir));
    const tokens: string[] = [];
    const got = await backend.generate({ question: PROMPT, documents: [], ctx: callContext((t) => tokens.push(t)) });
    expect(got.tokens?.length).toBe(8);
    expect(tokens.join('')).toBe(got.answer);
    // The first token has a wide margin in the float32 model: the reduced precisions pick it too.
    expect(got.tokens?.[0]).toBe(referenceGreedy(weights, promptIds, 1)[0]);
    await backend.close?.();
  });
});
