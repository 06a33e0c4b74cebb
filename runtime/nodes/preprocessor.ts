import type { z } from 'zod';
import type { preprocessor as kind } from '../../shared/catalog/preprocessor.js';
import { chunkText } from '../text/chunk.js';
import { normalizeText } from '../text/normalize.js';
import { textInput } from '../models/node-inputs.js';
import type { NodeImplementation } from './types.js';

type Config = z.output<typeof kind.config>;

export const preprocessor: NodeImplementation<Config> = {
  kind: 'preprocessor',
  async setup(config) {
    if (config.chunking !== 'none' && config.chunkOverlap >= config.chunkSize) {
      throw new Error(`config.chunkOverlap (${config.chunkOverlap}) must be below config.chunkSize (${config.chunkSize})`);
    }
    return {
      async call(inputs) {
        // Chunk before collapsing whitespace: blank lines are the paragraph boundaries.
        const base = normalizeText(textInput(inputs), { ...config, collapseWhitespace: false });
        const tidy = (t: string) => (config.collapseWhitespace ? normalizeText(t, { normalize: 'none' }) : t);
        const chunks = chunkText(base, { mode: config.chunking, size: config.chunkSize, overlap: config.chunkOverlap }).map((c) => tidy(c.text));
        return { text: tidy(base), chunks };
      },
    };
  },
};

export default preprocessor;
