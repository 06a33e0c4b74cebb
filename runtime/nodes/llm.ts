import { llm as llmKind } from '../../shared/catalog/llm.js';
import { parseConfig } from '../models/config.js';
import type { BackendFactory, LlmConfig } from './llm/backend.js';
import { extractiveBackend } from './llm/extractive.js';
import { onnxBackend } from './llm/onnx.js';
import { openaiBackend } from './llm/openai.js';
import { readInputs } from './llm/prompt.js';
import type { CallContext, NodeImplementation, NodeInputs } from './types.js';

/** The backends by the name config.backend gives (the catalog's enum lists the same names). */
export const LLM_BACKENDS: Record<LlmConfig['backend'], BackendFactory> = {
  extractive: extractiveBackend,
  openai: openaiBackend,
  onnx: onnxBackend,
};

export const llm: NodeImplementation<LlmConfig> = {
  kind: 'llm',
  async setup(config, ctx) {
    const cfg = parseConfig(llmKind, config);
    const backend = await LLM_BACKENDS[cfg.backend](cfg, ctx);
    return {
      async call(inputs: NodeInputs, call: CallContext) {
        const { question, documents } = readInputs(inputs);
        const { answer, sources } = await backend.generate({ question, documents, ctx: call });
        return { result: { answer, sources, backend: cfg.backend }, text: answer };
      },
      close: () => backend.close?.(),
    };
  },
};
