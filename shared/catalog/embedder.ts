import { z } from 'zod';
import { defineKind } from './types.js';

export const embedder = defineKind({
  kind: 'embedder',
  title: 'Embedder',
  category: 'models',
  memoryMb: 64,
  description: 'Turns text into a vector with a sentence-embedding ONNX model.',
  docs: 'The model is a folder holding model.onnx and tokenizer.json. Token outputs are mean-pooled over the attention mask and L2-normalised unless the model already pools.',
  runsIn: 'replica',
  // One ONNX Runtime session on one device.
  gpuUse: () => 1,
  batchable: true,
  config: z
    .object({
      model: z.string().min(1).max(500).default('builtin:glove-100d').describe('Model folder (model.onnx + tokenizer.json) under the models directory, or builtin:glove-100d.'),
      pooling: z.enum(['auto', 'mean', 'cls', 'none']).default('auto').describe('How token vectors become one vector; auto uses the model\'s pooled output when it has one.'),
      normalize: z.boolean().default(true).describe('L2-normalise the vector.'),
      maxLength: z.number().int().min(1).max(8192).default(256).describe('Tokens kept per text.'),
    })
    .strict(),
  files: [{ field: 'model', root: 'models' }],
  multiplex: { field: 'model' },
  inputs: [{ name: 'text', type: 'text', required: true, description: 'Text to embed.' }],
  outputs: [
    { name: 'vector', type: 'vector', description: 'The embedding.' },
    { name: 'text', type: 'text', description: 'The input text, passed on.' },
  ],
  deployment: { batching: { maxBatchSize: 32, batchWaitTimeoutMs: 2 }, maxOngoingRequests: 64 },
});
