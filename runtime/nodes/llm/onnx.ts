import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { halfToFloat, inputType, intTensor, openSession, ort, type Session } from '../../models/onnx-session.js';
import { requireFit } from '../../models/layout.js';
import { ModelConfigError, modelFile, resolveModelDir } from '../../models/resolve.js';
import { TextTokenizer } from '../../models/tokenizer.js';
import type { NodeContext } from '../types.js';
import type { BackendFactory, LlmConfig } from './backend.js';
import { documentSources, fillTemplate } from './prompt.js';
import { pickToken, seededRandom } from './sampling.js';
import { StreamText } from './stream-text.js';

const PAST = /^past_key_values\.(\d+)\.(key|value)$/;

interface CacheShape {
  layers: number;
  heads: number;
  headDim: number;
}

// Re-exported for the tests and callers that imported it from here.
export { halfToFloat };

function readJson(path: string): Record<string, unknown> {
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {};
}

/** KV-cache layout from the model's input metadata, else its config.json. */
function cacheShape(session: Session, config: Record<string, unknown>): CacheShape {
  const pasts = session.inputNames.filter((n) => PAST.test(n));
  const layers = new Set(pasts.map((n) => PAST.exec(n)![1])).size;
  const meta = session.inputMetadata?.find((m) => m.name === 'past_key_values.0.key');
  const shape = meta?.isTensor ? meta.shape : [];
  const num = (v: unknown) => (typeof v === 'number' && v > 0 ? v : undefined);
  const heads = num(shape[1]) ?? num(config.num_key_value_heads) ?? num(config.num_attention_heads);
  const headDim = num(shape[3]) ?? num(config.head_dim) ?? (num(config.hidden_size) && heads ? (config.hidden_size as number) / (num(config.num_attention_heads) ?? heads) : undefined);
  if (!heads || !headDim) throw new Error('onnx llm: cannot tell the KV cache shape (no fixed dims in the model inputs and no num_key_value_heads/head_dim in config.json)');
  return { layers, heads, headDim };
}

/** Ids that end a sample: eos_token_id of config.json and generation_config.json, and the tokenizer's eos token. */
function eosIds(dir: string, tokenizer: TextTokenizer, config: Record<string, unknown>): Set<number> {
  const ids = new Set<number>();
  for (const c of [config, readJson(join(dir, 'generation_config.json'))]) {
    const e = c.eos_token_id;
    for (const id of Array.isArray(e) ? e : [e]) if (typeof id === 'number') ids.add(id);
  }
  const eos = readJson(join(dir, 'tokenizer_config.json')).eos_token;
  const eosId = typeof eos === 'string' ? tokenizer.idOf(eos) : undefined;
  if (eosId !== undefined) ids.add(eosId);
  return ids;
}

/**
 * A causal LM in the Hugging Face / Optimum decoder layout: the prompt runs once,
 * then one token per step with the KV cache (present.N.* fed back as
 * past_key_values.N.*), streaming each piece of text as it is decoded.
 */
export const onnxBackend: BackendFactory = async (cfg: LlmConfig, ctx: NodeContext) => {
  if (!cfg.model) throw new ModelConfigError('the onnx backend needs a model folder (model.onnx + tokenizer.json)', 'config.model');
  const dir = resolveModelDir(cfg.model, ctx.modelsDir);
  // The decoder layout (input_ids, past_key_values.N -> logits, present.N), or an error naming what is missing.
  requireFit(dir, 'causal-lm');
  const tokenizer = TextTokenizer.load(dir, 0);
  const { session } = await openSession(modelFile(dir, 'model.onnx'), ctx.device, ctx.log);
  const config = readJson(join(dir, 'config.json'));
  for (const name of session.inputNames) {
    if (!['input_ids', 'attention_mask', 'position_ids', 'use_cache_branch'].includes(name) && !PAST.test(name)) {
      throw new Error(`onnx llm ${cfg.model}: unexpected input "${name}" (the decoder layout has input_ids, attention_mask, position_ids, past_key_values.N.key/value, use_cache_branch)`);
    }
  }
  if (!session.outputNames.includes('logits')) throw new Error(`onnx llm ${cfg.model}: no "logits" output`);
  const shape = cacheShape(session, config);
  const eos = eosIds(dir, tokenizer, config);
  const maxPositions = typeof config.max_position_embeddings === 'number' ? config.max_position_embeddings : Number.POSITIVE_INFINITY;
  const wants = (n: string) => session.inputNames.includes(n);
  ctx.log(`onnx llm ${cfg.model}: ${shape.layers} layers, ${shape.heads} kv heads x ${shape.headDim}, eos ${[...eos].join(',')}`);

  /** Logits of the last position, and the cache after this step. */
  async function step(ids: number[], past: Record<string, ort.Tensor>, pastLen: number): Promise<{ logits: Float32Array; past: Record<string, ort.Tensor> }> {
    const n = ids.length;
    const feeds: Record<string, ort.Tensor> = { input_ids: intTensor(session, 'input_ids', ids, [1, n]) };
    if (wants('attention_mask')) feeds.attention_mask = intTensor(session, 'attention_mask', new Array(pastLen + n).fill(1), [1, pastLen + n]);
    if (wants('position_ids')) feeds.position_ids = intTensor(session, 'position_ids', ids.map((_, i) => pastLen + i), [1, n]);
    // Optimum's merged decoders pick the with-cache branch by this flag.
    if (wants('use_cache_branch')) feeds.use_cache_branch = new ort.Tensor('bool', new Uint8Array([pastLen > 0 ? 1 : 0]), [1]);
    Object.assign(feeds, past);
    const out = await session.run(feeds);
    const logits = out.logits;
    const vocab = Number(logits.dims[2]);
    const rows = Number(logits.dims[1]);
    const next: Record<string, ort.Tensor> = {};
    for (const name of session.inputNames) {
      const m = PAST.exec(name);
      if (m) next[name] = out[`present.${m[1]}.${m[2]}`];
    }
    const last = (logits.data as Float32Array | Uint16Array).slice((rows - 1) * vocab, rows * vocab);
    return { logits: logits.type === 'float16' ? halfToFloat(last as Uint16Array) : (last as Float32Array), past: next };
  }

  function emptyCache(): Record<string, ort.Tensor> {
    const past: Record<string, ort.Tensor> = {};
    for (const name of session.inputNames) {
      if (!PAST.test(name)) continue;
      const dims = [1, shape.heads, 0, shape.headDim];
      past[name] = inputType(session, name) === 'float16' ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims);
    }
    return past;
  }

  return {
    async generate({ question, documents, ctx: call }) {
      // A raw causal LM has no chat template: it continues the filled prompt template.
      const prompt = tokenizer.encodeTail(fillTemplate(cfg.promptTemplate, question, documents), Math.max(1, maxPositions - 1));
      // Decoding behind the prompt's last token keeps the first generated token's leading space.
      const anchor = prompt.slice(-1);
      const anchorText = tokenizer.decode(anchor);
      const random = seededRandom(cfg.seed ?? Math.floor(Math.random() * 2 ** 32));
      const out = new StreamText(cfg.stop, call.emitToken);
      const generated: number[] = [];
      let past = emptyCache();
      let pastLen = 0;
      let input = prompt;
      while (generated.length < cfg.maxTokens && pastLen + input.length <= maxPositions) {
        if (call.signal.aborted) throw new Error('generation cancelled');
        const r = await step(input, past, pastLen);
        pastLen += input.length;
        past = r.past;
        const id = pickToken(r.logits, cfg, random);
        if (eos.has(id)) break;
        generated.push(id);
        out.update(tokenizer.decode([...anchor, ...generated]).slice(anchorText.length).trimStart());
        if (out.stopped) break;
        input = [id];
      }
      return { answer: out.finish(), sources: documentSources(documents), tokens: generated };
    },
    close: () => session.release(),
  };
};
