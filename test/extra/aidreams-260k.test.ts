import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../runtime/models/config.js';
import { TextTokenizer } from '../../runtime/models/tokenizer.js';
import type { LlmBackend } from '../../runtime/nodes/llm/backend.js';
import { onnxBackend } from '../../runtime/nodes/llm/onnx.js';
import { llm as llmKind } from '../../shared/catalog/llm.js';
import { callContext, nodeContext } from '../nodes/helpers.js';

/**
 * The onnx llm backend on a real trained model: aidreams-260k-llm (a 260k-parameter Llama trained with
 * llama2.c, converted to the Optimum decoder layout; its licence is unclear, so it is not in the
 * repository). Run with BEAMLINE_EXTRA_MODELS=<folder holding aidreams-260k-llm> npm run test:extra.
 */
const EXTRA = process.env.BEAMLINE_EXTRA_MODELS ? resolve(process.env.BEAMLINE_EXTRA_MODELS) : undefined;
const MODEL = 'aidreams-260k-llm';
// Greedy ids for "I dream of" from the model's README: the tokens llama2.c's run.c prints at temperature 0.
const GREEDY = [429, 464, 448, 464, 464, 464, 464, 464, 464, 448, 429, 468, 342, 358, 402, 327, 446, 299, 303, 266, 437, 443, 434, 438];
const base = { backend: 'onnx', model: MODEL, promptTemplate: '{question}' };

describe.skipIf(!EXTRA)(`onnx llm backend on ${MODEL} (needs BEAMLINE_EXTRA_MODELS)`, () => {
  const backendWith = (extra: Record<string, unknown>) => onnxBackend(parseConfig(llmKind, { ...base, ...extra }), nodeContext('llm', EXTRA!));
  let greedy: LlmBackend;
  beforeAll(async () => {
    if (!existsSync(join(EXTRA!, MODEL, 'model.onnx'))) throw new Error(`BEAMLINE_EXTRA_MODELS=${EXTRA} has no ${MODEL}/model.onnx`);
    greedy = await backendWith({ maxTokens: GREEDY.length });
  });
  afterAll(() => greedy?.close?.());

  it('tokenizes the prompt as llama2.c does', () => {
    const t = TextTokenizer.load(join(EXTRA!, MODEL));
    expect(t.encode('I dream of', 100)).toEqual([1, 303, 281, 269, 435, 447, 275]);
    expect(t.decode([1, 303, 281, 269, 435, 447, 275])).toBe('I dream of');
  });

  it("reproduces llama2.c's greedy ids with the KV cache, streaming every piece", async () => {
    const tokens: string[] = [];
    const r = await greedy.generate({ question: 'I dream of', documents: [], ctx: callContext((t) => tokens.push(t)) });
    expect(r.tokens).toEqual(GREEDY);
    expect(`I dream of ${r.answer}`.startsWith('I dream of 0.000000. Dimensions unfold, as I softl')).toBe(true);
    expect(tokens.join('')).toBe(r.answer);
  });

  it('stops at a stop string without emitting it', async () => {
    const stopped = await backendWith({ maxTokens: 40, stop: ['unfold'] });
    const r = await stopped.generate({ question: 'I dream of', documents: [], ctx: callContext() });
    expect(r.answer).toBe('0.000000. Dimensions ');
    await stopped.close?.();
  });

  it('stops at the 128-position context with a long prompt', async () => {
    const long = await backendWith({ maxTokens: 50 });
    const r = await long.generate({ question: 'I dream of the sea and the sky. '.repeat(40), documents: [], ctx: callContext() });
    // The prompt keeps <s> and its last 126 tokens, leaving room for two generated tokens.
    expect(r.tokens!.length).toBe(2);
    await long.close?.();
  });
});
