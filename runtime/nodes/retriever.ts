import type { z } from 'zod';
import type { retriever as kind } from '../../shared/catalog/retriever.js';
import { Bm25 } from '../retrieval/bm25.js';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { indexDir, type LoadedIndex, readIndex } from '../retrieval/index-files.js';
import { dotAll, type Hit, topKDot, topKScores } from '../retrieval/topk.js';
import { NodeInputError, type NodeImplementation, type NodeInputs } from './types.js';

type Config = z.output<typeof kind.config>;

/** One entry of a `documents` port value, best first. */
export interface RetrievedDocument {
  id: number;
  text: string;
  source: string;
  chunk: number;
  score: number;
}

/** The query vector as a unit-length Float32Array of the index's dimension. */
export function queryVector(value: unknown, dim: number, field = 'vector'): Float32Array {
  const isNumbers = Array.isArray(value) || ArrayBuffer.isView(value);
  if (!isNumbers) throw new NodeInputError(`input "${field}" must be an array of numbers`, field);
  const arr = value as ArrayLike<unknown>;
  if (arr.length !== dim) throw new NodeInputError(`input "${field}" has ${arr.length} numbers, the index has dimension ${dim}`, field);
  const q = new Float32Array(dim);
  let norm = 0;
  for (let i = 0; i < dim; i++) {
    const x = arr[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new NodeInputError(`input "${field}"[${i}] is not a finite number`, `${field}[${i}]`);
    q[i] = x;
    norm += x * x;
  }
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < dim; i++) q[i] /= norm;
  return q;
}

/** Search an index: cosine alone, or blended with BM25 when the query text and a weight are given. */
export class IndexSearcher {
  private bm25?: Bm25;
  constructor(readonly index: LoadedIndex) {}

  /** The keyword index, built on first use (setup calls it when the node blends). */
  lexical(): Bm25 {
    this.bm25 ??= new Bm25(this.index.chunks.map((c) => c.text));
    return this.bm25;
  }

  search(vector: unknown, opts: { topK: number; minScore: number; lexicalWeight?: number; query?: string }): RetrievedDocument[] {
    const { meta, vectors, chunks } = this.index;
    const q = queryVector(vector, meta.dim);
    const w = opts.lexicalWeight ?? 0;
    let hits: Hit[];
    if (w > 0 && opts.query && opts.query.trim()) {
      const lexical = this.lexical().scores(opts.query);
      const scores = dotAll(vectors, meta.dim, q);
      for (let i = 0; i < scores.length; i++) scores[i] = (1 - w) * scores[i] + w * lexical[i];
      hits = topKScores(scores, opts.topK, opts.minScore);
    } else {
      hits = topKDot(vectors, meta.dim, q, opts.topK, opts.minScore);
    }
    return hits.map(({ index, score }) => {
      const c = chunks[index];
      return { id: c.id, text: c.text, source: c.source, chunk: c.chunk, score: Math.round(score * 1e6) / 1e6 };
    });
  }
}

function queryText(inputs: NodeInputs): string | undefined {
  const q = inputs.query;
  if (q === undefined || q === null) return undefined;
  if (typeof q !== 'string') throw new NodeInputError(`input "query" must be a string, got ${typeof q}`, 'query');
  return q;
}

export const retriever: NodeImplementation<Config> = {
  kind: 'retriever',
  async setup(config, ctx) {
    // A missing index leaves the node unhealthy with the reason rather than failing the
    // replica's start; each health check looks again, so a later ingest heals it.
    let searcher: IndexSearcher | undefined;
    let failure: Error | undefined;
    // The meta.json this searcher was read from: an ingest swaps a new index in, and the next health check loads it.
    let loadedVersion: string | undefined;
    const metaVersion = (): string | undefined => {
      try {
        const st = statSync(join(indexDir(ctx.dataDir, config.index), 'meta.json'));
        return `${st.mtimeMs}:${st.ino}`;
      } catch {
        return undefined;
      }
    };
    const load = () => {
      try {
        const version = metaVersion();
        const index = readIndex(ctx.dataDir, config.index);
        searcher = new IndexSearcher(index);
        if (config.lexicalWeight > 0) searcher.lexical();
        loadedVersion = version;
        failure = undefined;
        ctx.log(`index "${config.index}": ${index.meta.count} chunks of dim ${index.meta.dim} (${index.meta.model})`);
      } catch (e) {
        // Logged once per distinct reason: calls and health checks retry the load.
        if ((e as Error).message !== failure?.message) ctx.log((e as Error).message);
        failure = e as Error;
      }
    };
    load();
    const ready = (): IndexSearcher => {
      if (!searcher) load();
      if (!searcher) throw failure ?? new Error(`index "${config.index}" is not loaded`);
      return searcher;
    };
    return {
      async call(inputs) {
        const documents = ready().search(inputs.vector, { ...config, query: queryText(inputs) });
        return { documents };
      },
      health() {
        // A failed reload keeps the searcher it had: requests never see half of an index.
        const version = metaVersion();
        if (searcher && version !== undefined && version !== loadedVersion) load();
        ready();
      },
    };
  },
};

export default retriever;
