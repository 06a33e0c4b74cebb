import { z } from 'zod';
import { defineKind } from './types.js';

export const classifier = defineKind({
  kind: 'classifier',
  title: 'Classifier',
  category: 'models',
  memoryMb: 48,
  description: 'Labels text with an ONNX sequence classifier.',
  docs: 'Labels come from the model folder\'s config.json id2label, or from `labels` when set.',
  runsIn: 'replica',
  // One ONNX Runtime session on one device.
  gpuUse: () => 1,
  batchable: true,
  config: z
    .object({
      model: z.string().min(1).max(500).default('builtin:vader-sentiment').describe('Model folder (model.onnx + tokenizer.json [+ config.json]) or builtin:vader-sentiment.'),
      labels: z.array(z.string().max(100)).max(10_000).optional().describe('Label names by class index (overrides config.json).'),
      maxLength: z.number().int().min(1).max(8192).default(256).describe('Tokens kept per text.'),
    })
    .strict(),
  files: [{ field: 'model', root: 'models' }],
  multiplex: { field: 'model' },
  inputs: [{ name: 'text', type: 'text', required: true, description: 'Text to classify.' }],
  outputs: [
    { name: 'result', type: 'json', description: '{label, score, scores}.' },
    { name: 'label', type: 'label', description: 'The best label alone.' },
  ],
  deployment: { batching: { maxBatchSize: 32, batchWaitTimeoutMs: 2 }, maxOngoingRequests: 64 },
});
