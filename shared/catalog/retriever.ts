import { z } from 'zod';
import { defineKind } from './types.js';

export const retriever = defineKind({
  kind: 'retriever',
  title: 'Retriever',
  category: 'retrieval',
  memoryMb: 48,
  description: 'Exact top-k cosine search over an index built by `beamline ingest`.',
  docs: 'The index lives under the data directory and is built from `docs` by `beamline ingest <graph.json>` (or by `serve` at first start) with the graph\'s own embedder, so queries and documents share one model. With lexicalWeight above 0 and the query text wired to `query`, the cosine is blended with a BM25 keyword score, which finds names the embedder does not know.',
  runsIn: 'replica',
  // Exact top-k over vectors in memory, on the CPU.
  gpuUse: () => 0,
  config: z
    .object({
      index: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default('default').describe('Index name under the data directory.'),
      docs: z.string().max(500).optional().describe('Folder of .md, .txt and .jsonl documents to ingest, relative to the graph file.'),
      topK: z.number().int().min(1).max(1000).default(5).describe('Documents returned.'),
      minScore: z.number().min(-1).max(1).default(-1).describe('Drop documents scoring below this cosine.'),
      lexicalWeight: z
        .number()
        .min(0)
        .max(1)
        .default(0)
        .describe('Weight of the BM25 keyword score (needs the query text on the query input): score = (1 - w) x cosine + w x BM25 / best BM25. Finds names the embedder does not know.'),
      chunkSize: z.number().int().min(16).max(100_000).default(800).describe('Characters per chunk when ingesting.'),
      chunkOverlap: z.number().int().min(0).max(10_000).default(100).describe('Characters shared by neighbouring chunks when ingesting.'),
    })
    .strict(),
  files: [{ field: 'docs', root: 'graph' }],
  inputs: [
    { name: 'vector', type: 'vector', required: true, description: 'Query embedding.' },
    { name: 'query', type: 'text', description: 'Query text, for the keyword score when lexicalWeight > 0.' },
  ],
  outputs: [{ name: 'documents', type: 'documents', description: 'Best matches with text, source and score.' }],
  deployment: { maxOngoingRequests: 16 },
});
