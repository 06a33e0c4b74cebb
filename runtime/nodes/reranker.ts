import type { z } from 'zod';
import { reranker as rerankerKind } from '../../shared/catalog/reranker.js';
import { parseConfig } from '../models/config.js';
import { batchEach } from '../models/node-inputs.js';
import { requireFit } from '../models/layout.js';
import { floatData, openSession } from '../models/onnx-session.js';
import { modelFile, resolveModelDir } from '../models/resolve.js';
import { textFeeds } from '../models/text-feeds.js';
import { TextTokenizer } from '../models/tokenizer.js';
import { dot, sigmoid, softmax } from '../models/vectors.js';
import { createEmbedder } from './embedder.js';
import { type NodeContext, type NodeImplementation, NodeInputError, type NodeInputs, type NodeOutputs } from './types.js';

export type RerankerConfig = z.output<typeof rerankerKind.config>;

/** The retriever's document shape; other fields pass through untouched. */
export interface RankedDocument {
  id?: string;
  text: string;
  source?: string;
  chunk?: number;
  score: number;
  /** The score the document arrived with. */
  retrievalScore?: number;
  [k: string]: unknown;
}

interface Query {
  query: string;
  documents: RankedDocument[];
}

/** Scores (query, document texts) pairs, one score per document. */
type Scorer = (queries: Query[]) => Promise<number[][]>;

function readQuery(inputs: NodeInputs): Query {
  if (typeof inputs.query !== 'string') throw new NodeInputError('input "query" must be a string', 'query');
  const docs = inputs.documents;
  if (!Array.isArray(docs)) throw new NodeInputError('input "documents" must be an array of documents', 'documents');
  const documents = docs.map((d, i) => {
    if (typeof d !== 'object' || d === null || typeof (d as RankedDocument).text !== 'string') {
      throw new NodeInputError(`input "documents[${i}]" must be a document with a string "text"`, `documents[${i}].text`);
    }
    return d as RankedDocument;
  });
  return { query: inputs.query, documents };
}

/** cosine: the query and documents through a sentence embedder, all texts of a batch in one model run. */
async function cosineScorer(cfg: RerankerConfig, ctx: NodeContext): Promise<{ score: Scorer; close: () => Promise<void> }> {
  const e = await createEmbedder({ model: cfg.model, maxLength: cfg.maxLength, pooling: 'auto', normalize: true }, ctx);
  return {
    async score(queries) {
      const texts = queries.flatMap((q) => [q.query, ...q.documents.map((d) => d.text)]);
      const vs = await e.embed(texts);
      let at = 0;
      return queries.map((q) => {
        const qv = vs[at++];
        return q.documents.map(() => dot(qv, vs[at++]));
      });
    },
    close: () => e.close(),
  };
}

/** cross-encoder: one logit (sigmoid) or two classes (softmax of the last) per (query, document) pair. */
async function crossEncoderScorer(cfg: RerankerConfig, ctx: NodeContext): Promise<{ score: Scorer; close: () => Promise<void> }> {
  const dir = resolveModelDir(cfg.model, ctx.modelsDir);
  const { fit, report } = requireFit(dir, 'cross-encoder');
  const tokenizer = TextTokenizer.load(dir);
  const { session } = await openSession(modelFile(dir, 'model.onnx'), ctx.device, ctx.log);
  const output = fit.output!;
  const maxLength = Math.min(cfg.maxLength, report.maxLength ?? Number.POSITIVE_INFINITY);
  return {
    async score(queries) {
      const pairs = queries.flatMap((q) => q.documents.map((d) => [q.query, d.text] as [string, string]));
      if (pairs.length === 0) return queries.map(() => []);
      // A pair longer than the model allows loses the end of its document (counted), never the query.
      const b = tokenizer.batchPairs(pairs, maxLength);
      if (b.truncated) ctx.count?.('truncated', b.truncated);
      const t = (await session.run(textFeeds(session, b, cfg.model), [output]))[output];
      const classes = t.dims.length === 2 ? Number(t.dims[1]) : 1;
      const data = floatData(t, `model ${cfg.model} output "${output}"`);
      const flat = pairs.map((_, r) => (classes === 1 ? sigmoid(data[r]) : softmax(data.subarray(r * classes, (r + 1) * classes))[classes - 1]));
      let at = 0;
      return queries.map((q) => q.documents.map(() => flat[at++]));
    },
    close: () => session.release(),
  };
}

function rank(q: Query, scores: number[], topK: number): NodeOutputs {
  const documents = q.documents
    .map((d, i) => ({ ...d, retrievalScore: d.score, score: scores[i] }))
    .sort((a, b) => b.score - a.score)
    .slice(0, topK);
  return { documents };
}

export const reranker: NodeImplementation<RerankerConfig> = {
  kind: 'reranker',
  async setup(config, ctx) {
    const cfg = parseConfig(rerankerKind, config);
    const s = cfg.mode === 'cosine' ? await cosineScorer(cfg, ctx) : await crossEncoderScorer(cfg, ctx);
    const many = async (qs: Query[]) => (await s.score(qs)).map((scores, i) => rank(qs[i], scores, cfg.topK));
    return {
      async call(inputs: NodeInputs) {
        return (await many([readQuery(inputs)]))[0];
      },
      batch: (items: NodeInputs[]) => batchEach(items, readQuery, many),
      close: () => s.close(),
    };
  },
};
