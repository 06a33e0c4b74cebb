import { z } from 'zod';
import { defineKind } from './types.js';

export const preprocessor = defineKind({
  kind: 'preprocessor',
  title: 'Preprocessor',
  category: 'text',
  memoryMb: 48,
  description: 'Normalises text (Unicode NFKC, case, whitespace) and optionally chunks it.',
  runsIn: 'replica',
  // Text only: no model, no GPU.
  gpuUse: () => 0,
  config: z
    .object({
      normalize: z.enum(['NFKC', 'NFC', 'none']).default('NFKC').describe('Unicode normalisation form.'),
      lowercase: z.boolean().default(false).describe('Lower-case the text.'),
      collapseWhitespace: z.boolean().default(true).describe('Turn runs of whitespace into one space and trim.'),
      chunking: z.enum(['none', 'sentence', 'paragraph']).default('none').describe('Split into chunks on sentence or paragraph boundaries.'),
      chunkSize: z.number().int().min(16).max(100_000).default(512).describe('Largest chunk in characters.'),
      chunkOverlap: z.number().int().min(0).max(10_000).default(64).describe('Characters repeated between neighbouring chunks.'),
    })
    .strict(),
  inputs: [{ name: 'text', type: 'text', required: true, description: 'Text to clean.' }],
  outputs: [
    { name: 'text', type: 'text', description: 'The normalised text.' },
    { name: 'chunks', type: 'texts', description: 'The chunks (one chunk when chunking is none).' },
  ],
  deployment: { resources: { cpus: 0.5 }, maxOngoingRequests: 32 },
});
