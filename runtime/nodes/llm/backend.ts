import type { z } from 'zod';
import type { llm } from '../../../shared/catalog/llm.js';
import type { CallContext, NodeContext } from '../types.js';

export type LlmConfig = z.output<typeof llm.config>;

/** A retrieved document as the retriever emits it; only `text` is required here. */
export interface ContextDocument {
  id?: string;
  text: string;
  source?: string;
  chunk?: number;
  score?: number;
}

export interface Source {
  source: string;
  score: number;
}

export interface Answer {
  answer: string;
  sources: Source[];
  /** Generated token ids, where the backend has them (onnx). */
  tokens?: number[];
}

export interface GenerateRequest {
  question: string;
  documents: ContextDocument[];
  ctx: CallContext;
}

/** One way of producing an answer; runtime/nodes/llm.ts picks one by config.backend. */
export interface LlmBackend {
  generate(req: GenerateRequest): Promise<Answer>;
  close?(): Promise<void> | void;
}

export type BackendFactory = (config: LlmConfig, ctx: NodeContext) => Promise<LlmBackend>;
