import { z } from 'zod';
import { defineKind } from './types.js';

export const ner = defineKind({
  kind: 'ner',
  title: 'Entities (NER)',
  category: 'text',
  memoryMb: 64,
  description: 'Finds entities (dates, money, emails, URLs, ...) with their spans and types.',
  docs: '`wink` uses wink-nlp with its English lite model; `onnx` runs a token-classification model folder.',
  runsIn: 'replica',
  // wink-nlp (and its Python regex port) run on the CPU; onnx is one session on one device.
  gpuUse: (c) => (c.backend === 'onnx' ? 1 : 0),
  config: z
    .object({
      backend: z.enum(['wink', 'onnx']).default('wink').describe('Entity recogniser.'),
      model: z.string().max(500).optional().describe('onnx: token-classification model folder.'),
      types: z.array(z.string().max(64)).max(100).optional().describe('Keep only these entity types.'),
    })
    .strict(),
  files: [{ field: 'model', root: 'models', when: (c) => c.backend === 'onnx' }],
  multiplex: { field: 'model', when: (c) => c.backend === 'onnx' },
  inputs: [{ name: 'text', type: 'text', required: true, description: 'Text to scan.' }],
  outputs: [{ name: 'entities', type: 'entities', description: 'Entities with value, type and character span.' }],
});
