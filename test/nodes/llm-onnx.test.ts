import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../runtime/models/config.js';
import { llm } from '../../runtime/nodes/llm.js';
import type { LlmBackend } from '../../runtime/nodes/llm/backend.js';
import { halfToFloat, onnxBackend } from '../../runtime/nodes/llm/onnx.js';
import type { NodeInstance } from '../../runtime/nodes/types.js';
import { llm as llmKind } from '../../shared/catalog/llm.js';
import { callContext, nodeContext } from './helpers.js';

// Greedy ids from ../shared/models/aidreams-260k-llm/README.md (llama2.c's run.c at temperature 0).
const GREEDY = [429, 464, 448, 464, 464, 464, 464, 464, 464, 448, 429, 468, 342, 358, 402, 327, 446, 299, 303, 266, 437, 443, 434, 438];
const MODEL = 'aidreams-260k-llm';
const base = { backend: 'onnx', model: MODEL, promptTemplate: '{question}' };

async function backendWith(extra: Record<string, unknown>): Promise<LlmBackend> {
  return onnxBackend(parseConfig(llmKind, { ...base, ...extra }), nodeContext('llm'));
}

describe('onnx llm backend on the reference 260k Llama model', () => {
  let greedy: LlmBackend;
  beforeAll(async () => {
    greedy = await backendWith({ maxTokens: GREEDY.length });
  });
  afterAll(() => greedy.close?.());

  it('reproduces the README greedy ids with the KV cache, streaming every piece', async () => {
    const tokens: string[] = [];
    const r = await greedy.generate({ question: 'I dream of', documents: [], ctx: callContext((t) => tokens.push(t)) });
    expect(r.tokens).toEqual(GREEDY);
    expect(`I dream of ${r.answer}`.startsWith('I dream of 0.000000. Dimensions unfold, as I softl')).toBe(true);
    // One emission per token that adds text, in order, adding up to the answer.
    expect(tokens.length).toBeGreaterThanOrEqual(GREEDY.length - 4);
    expect(tokens.join('')).toBe(r.answer);
  });

  it('streams tokens through the node before call() resolves', async () => {
    const node: NodeInstance = await llm.setup({ ...base, maxTokens: 10 } as never, nodeContext('llm'));
    const seen: number[] = [];
    let resolved = false;
    const p = node.call({ prompt: 'I dream of' }, callContext(() => seen.push(resolved ? 1 : 0)));
    const out = await p.then((o) => {
      resolved = true;
      return o;
    });
    expect(seen.length).toBeGreaterThan(5);
    expect(seen.every((s) => s === 0)).toBe(true);
    expect((out.result as { backend: string }).backend).toBe('onnx');
    expect(out.text).toBe((out.result as { answer: string }).answer);
    await node.close?.();
  });

  it('stops at maxTokens and at a stop string, without emitting the stop string', async () => {
    const short = await backendWith({ maxTokens: 3 });
    const r3 = await short.generate({ question: 'I dream of', documents: [], ctx: callContext() });
    expect(r3.tokens).toEqual(GREEDY.slice(0, 3));
    await short.close?.();

    const stopped = await backendWith({ maxTokens: 40, stop: ['unfold'] });
    const tokens: string[] = [];
    const r = await stopped.generate({ question: 'I dream of', documents: [], ctx: callContext((t) => tokens.push(t)) });
    expect(r.answer).toBe('0.000000. Dimensions ');
    expect(tokens.join('')).toBe(r.answer);
    expect(r.tokens!.length).toBeLessThan(GREEDY.length);
    await stopped.close?.();
  });

  it('samples repeatably with a fixed seed and differently with another', async () => {
    const run = async (seed: number) => {
      const b = await backendWith({ maxTokens: 30, temperature: 1, topK: 40, topP: 0.95, seed });
      const r = await b.generate({ question: 'I dream of', documents: [], ctx: callContext() });
      await b.close?.();
      return r.tokens!;
    };
    const a = await run(7);
    expect(await run(7)).toEqual(a);
    expect(a).not.toEqual(GREEDY.slice(0, a.length));
    const others = await Promise.all([1, 2, 3].map(run));
    expect(others.some((o) => o.join() !== a.join())).toBe(true);
  });

  it('keeps the end of a prompt longer than the model context and stops at the context length', async () => {
    const long = await backendWith({ maxTokens: 50 });
    const r = await long.generate({ question: 'I dream of the sea and the sky. '.repeat(40), documents: [], ctx: callContext() });
    // 128 positions: the prompt keeps <s> and its last 126 tokens, leaving room for two generated tokens.
    expect(r.tokens!.length).toBe(2);
    await long.close?.();
  });

  it('a cancelled request stops generating', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(greedy.generate({ question: 'I dream of', documents: [], ctx: callContext(() => {}, ac.signal) })).rejects.toThrow(/cancelled/);
  });

  it('names config.model when the folder is missing', async () => {
    await expect(backendWith({ model: undefined })).rejects.toThrow(/config\.model/);
    await expect(backendWith({ model: 'no-such-model' })).rejects.toThrow(/config\.model.*no-such-model/);
  });

  it('reads fp16 logits of half-precision exports', () => {
    const f = halfToFloat(Uint16Array.from([0x3c00, 0xc000, 0x3555, 0x0001, 0x7c00, 0x0000]));
    expect(Array.from(f.slice(0, 2))).toEqual([1, -2]);
    expect(f[2]).toBeCloseTo(1 / 3, 3);
    expect(f[3]).toBeCloseTo(5.96e-8, 10);
    expect(f[4]).toBe(Number.POSITIVE_INFINITY);
    expect(f[5]).toBe(0);
  });
});
