import type { z } from 'zod';
import { embedder as embedderKind } from '../../shared/catalog/embedder.js';
import { parseConfig } from '../models/config.js';
import { lengthGroups } from '../models/length-groups.js';
import { batchEach, textInput } from '../models/node-inputs.js';
import { requireFit } from '../models/layout.js';
import { floatData, openSession } from '../models/onnx-session.js';
import { modelFile, resolveModelDir } from '../models/resolve.js';
import { textFeeds } from '../models/text-feeds.js';
import { type TokenBatch, TextTokenizer } from '../models/tokenizer.js';
import { l2normalize, maskedMean, rowOf } from '../models/vectors.js';
import type { CallContext, NodeContext, NodeImplementation, NodeInputs, NodeOutputs } from './types.js';

export type EmbedderConfig = z.output<typeof embedderKind.config>;

/** Texts per model run: bounds padding memory on long ingests. */
const CHUNK = 64;

export interface Embedder {
  /** Vector length. */
  readonly dim: number;
  readonly model: string;
  /** Tokens kept per text: config.maxLength, or less when the model's own limit is lower. */
  readonly maxLength: number;
  readonly tokenizer: TextTokenizer;
  /** The model alone on a tokenised batch (tokenizer.batch(texts, maxLength)), one vector per row. */
  embedTokens(batch: TokenBatch): Promise<Float32Array[]>;
  /** One vector per text, in order; texts are length-sorted and chunked internally. */
  embed(texts: string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

/** The programmatic embedder, for the node, `beamline ingest`, the reranker and the extractive backend. */
export async function createEmbedder(
  config: Partial<EmbedderConfig> & { model?: string },
  ctx: Pick<NodeContext, 'modelsDir' | 'device' | 'count'> & { log?: (m: string) => void },
): Promise<Embedder> {
  const cfg = parseConfig(embedderKind, config);
  const dir = resolveModelDir(cfg.model, ctx.modelsDir);
  // The folder's layout decides the output and its pooling (runtime/models/layout.ts); a folder that cannot embed is refused here, naming why.
  const { fit, report } = requireFit(dir, 'embedder', { pooling: cfg.pooling });
  const tokenizer = TextTokenizer.load(dir);
  // Longer than the model was trained for fails in the model (position embeddings run out): cut to the lowest limit.
  const maxLength = Math.min(cfg.maxLength, report.maxLength ?? Number.POSITIVE_INFINITY);
  const counted = (b: TokenBatch): TokenBatch => {
    if (b.truncated) ctx.count?.('truncated', b.truncated);
    return b;
  };
  const { session } = await openSession(modelFile(dir, 'model.onnx'), ctx.device, ctx.log);
  const output = fit.output!;

  /** The model run and pooling alone, for already tokenised texts (benchmarks time it apart from tokenisation). */
  async function embedTokens(b: TokenBatch): Promise<Float32Array[]> {
    const t = (await session.run(textFeeds(session, b, cfg.model), [output]))[output];
    const data = floatData(t, `model ${cfg.model} output "${output}"`);
    const vectors: Float32Array[] = [];
    if (t.dims.length === 2) {
      const dim = Number(t.dims[1]);
      for (let r = 0; r < b.batch; r++) vectors.push(rowOf(data, r, dim));
    } else {
      const dim = Number(t.dims[2]);
      for (let r = 0; r < b.batch; r++) {
        vectors.push(fit.pooling === 'cls' ? rowOf(data, r * b.seq, dim) : maskedMean(data, b.mask, r, b.seq, dim));
      }
    }
    return cfg.normalize ? vectors.map(l2normalize) : vectors;
  }

  const run = (texts: string[]) => embedTokens(tokenizer.batch(texts, maxLength));

  async function embed(texts: string[]): Promise<Float32Array[]> {
    // Texts over maxLength are cut (and counted: beamline_node_events_counter{event="truncated"}).
    if (texts.length === 1) return embedTokens(counted(tokenizer.batch(texts, maxLength)));
    // Sorted by token length, then cut into runs with little padding (the tokenizer's LRU makes the second pass cheap).
    const { lengths } = counted(tokenizer.batch(texts, maxLength));
    const order = texts.map((_, i) => i).sort((a, b) => lengths[a] - lengths[b]);
    const result = new Array<Float32Array>(texts.length);
    for (const group of lengthGroups(order.map((i) => lengths[i]), CHUNK)) {
      const idx = group.map((k) => order[k]);
      const vecs = await run(idx.map((j) => texts[j]));
      idx.forEach((j, k) => {
        result[j] = vecs[k];
      });
    }
    return result;
  }

  const probe = await run(['a']);
  return { dim: probe[0].length, model: cfg.model, maxLength, tokenizer, embed, embedTokens, close: () => session.release() };
}

export const embedder: NodeImplementation<EmbedderConfig> = {
  kind: 'embedder',
  async setup(config, ctx) {
    const e = await createEmbedder(config, ctx);
    ctx.log(`embedder ${e.model}: ${e.dim} dimensions`);
    const toOutputs = (text: string, v: Float32Array): NodeOutputs => ({ vector: Array.from(v), text });
    return {
      async call(inputs: NodeInputs, _ctx: CallContext) {
        const text = textInput(inputs);
        const [v] = await e.embed([text]);
        return toOutputs(text, v);
      },
      batch(items: NodeInputs[]) {
        return batchEach(
          items,
          (i) => textInput(i),
          async (texts) => (await e.embed(texts)).map((v, k) => toOutputs(texts[k], v)),
        );
      },
      close: () => e.close(),
    };
  },
};
