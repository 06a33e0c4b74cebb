import { z } from 'zod';
import { defineKind } from './types.js';

export const retriever = defineKind({
  kind: 'retriever',
  title: 'Retriever',
  category: 'retrieval',
  description: 'Exact top-k cosine search over an index built by `beamline ingest`.',
  docs: 'The index lives under the data directory and is built from `docs` by `beamline ingest <graph.json>` with the graph\'s own embedder, so queries and documents share one model.',
  runsIn: 'replica',
  config: z
    .object({
      index: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default('default').describe('Index name under the data directory.'),
      docs: z.string().max(500).optional().describe('Folder of .md, .txt and .jsonl documents to ingest, relative to the graph file.'),
      topK: z.number().int().min(1).max(1000).default(5).describe('Documents returned.'),
      minScore: z.number().min(-1).max(1).default(-1).describe('Drop documents scoring below this cosine.'),
      chunkSize: z.number().int().min(16).max(100_000).default(800).describe('Characters per chunk when ingesting.'),
      chunkOverlap: z.number().int().min(0).max(10_000).default(100).describe('Characters shared by neighbouring chunks when ingesting.'),
    })
    .strict(),
  inputs: [{ name: 'vector', type: 'vector', required: true, description: 'Query embedding.' }],
  outputs: [{ name: 'documents', type: 'documents', description: 'Best matches with text, source and score.' }],
  deployment: { maxOngoingRequests: 16 },
});
