import { z } from 'zod';
import { defineKind } from './types.js';

export const reranker = defineKind({
  kind: 'reranker',
  title: 'Reranker',
  category: 'retrieval',
  memoryMb: 64,
  description: 'Re-scores documents against the query and keeps the best.',
  docs: '`cosine` embeds the query and each document with a sentence-embedding model; `cross-encoder` scores each (query, document) pair with an ONNX cross-encoder.',
  runsIn: 'replica',
  // One ONNX Runtime session (embedder or cross-encoder) on one device.
  gpuUse: () => 1,
  batchable: true,
  config: z
    .object({
      mode: z.enum(['cosine', 'cross-encoder']).default('cosine').describe('Scoring method.'),
      model: z.string().min(1).max(500).default('builtin:glove-100d').describe('Sentence embedder (cosine) or cross-encoder (cross-encoder) model folder.'),
      topK: z.number().int().min(1).max(1000).default(3).describe('Documents kept.'),
      maxLength: z.number().int().min(1).max(8192).default(256).describe('Tokens kept per text.'),
    })
    .strict(),
  files: [{ field: 'model', root: 'models' }],
  multiplex: { field: 'model' },
  inputs: [
    { name: 'query', type: 'text', required: true, description: 'The question.' },
    { name: 'documents', type: 'documents', required: true, description: 'Candidates to re-score.' },
  ],
  outputs: [{ name: 'documents', type: 'documents', description: 'The best documents, best first.' }],
  // maxOngoingRequests at least maxBatchSize, or the router never lets a full batch reach a replica.
  deployment: { batching: { maxBatchSize: 16, batchWaitTimeoutMs: 2 }, maxOngoingRequests: 32 },
});
