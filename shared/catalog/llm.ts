import { z } from 'zod';
import { defineKind } from './types.js';

// Which backend reads a field: the editor's form shows a field only for the backends that read it.
const OPENAI = { when: { backend: ['openai'] } };
const GENERATIVE = { when: { backend: ['openai', 'onnx'] } };

export const llm = defineKind({
  kind: 'llm',
  title: 'LLM',
  category: 'models',
  memoryMb: 48,
  description: 'Generates an answer: an OpenAI-compatible server, a local ONNX causal LM, or the extractive (non-LLM) default.',
  docs: '`openai` calls any /v1/chat/completions server (vLLM, Ollama, llama.cpp, OpenAI) with streaming; the key is read from the environment variable named by apiKeyEnv. `onnx` runs a causal LM in the Hugging Face / Optimum decoder layout with a KV cache. `extractive` is not a language model: it answers by selecting the context sentences most similar to the question.',
  runsIn: 'replica',
  // openai calls a server; extractive embeds sentences and onnx decodes with one ONNX Runtime session on one device.
  gpuUse: (c) => (c.backend === 'openai' ? 0 : 1),
  streams: true,
  config: z
    .object({
      backend: z.enum(['extractive', 'openai', 'onnx']).default('extractive').describe('What produces the answer.'),
      model: z.string().max(500).optional().describe('openai: model name; onnx: model folder (model.onnx + tokenizer.json); extractive: sentence embedder folder (default builtin:glove-100d).'),
      baseUrl: z.string().url().max(500).optional().meta(OPENAI).describe('openai: server base URL ending in /v1.'),
      apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]{0,127}$/).optional().meta(OPENAI).describe('openai: name of the environment variable holding the API key, sent as a bearer token to baseUrl. The server reads only BEAMLINE_SECRET_* or names its operator allows (--allow-secret-env), and only for base URLs it pins (--secret-base-url) when it pins any.'),
      systemPrompt: z.string().max(20_000).default('You answer questions using only the given context. Say so when the context does not contain the answer.').meta(OPENAI).describe('System message.'),
      promptTemplate: z
        .string()
        .max(20_000)
        .default('Context:\n{context}\n\nQuestion: {question}')
        .meta(GENERATIVE)
        .describe('User message; {context} and {question} are filled in.'),
      maxTokens: z.number().int().min(1).max(32_768).default(256).meta(GENERATIVE).describe('Most tokens generated.'),
      temperature: z.number().min(0).max(2).default(0).meta(GENERATIVE).describe('0 is greedy decoding.'),
      topK: z.number().int().min(0).max(100_000).default(0).meta({ when: { backend: ['onnx'] } }).describe('Sample from the k likeliest tokens (0 = off).'),
      topP: z.number().min(0).max(1).default(1).meta(GENERATIVE).describe('Nucleus sampling mass (1 = off).'),
      seed: z.number().int().min(0).max(2 ** 32 - 1).optional().meta(GENERATIVE).describe('onnx: random seed for sampling; the same seed gives the same text (unset = a new seed per request).'),
      stop: z.array(z.string().max(100)).max(16).default([]).meta(GENERATIVE).describe('Strings that end generation.'),
      maxSentences: z.number().int().min(1).max(50).default(3).meta({ when: { backend: ['extractive'] } }).describe('extractive: sentences in the answer.'),
    })
    .strict(),
  // extractive reads `model` as its sentence-embedder folder; only openai's is a model name.
  files: [{ field: 'model', root: 'models', when: (c) => c.backend !== 'openai' }],
  multiplex: { field: 'model', when: (c) => c.backend === 'onnx' },
  // Checked whatever the backend: a graph has no business naming a variable it may not read.
  secretEnv: [{ field: 'apiKeyEnv', sentTo: 'baseUrl' }],
  inputs: [
    { name: 'prompt', type: 'text', required: true, description: 'The question or prompt.' },
    { name: 'context', type: 'documents', description: 'Retrieved documents to answer from.' },
  ],
  outputs: [
    { name: 'result', type: 'json', description: '{answer, sources, backend}.' },
    { name: 'text', type: 'text', description: 'The answer text alone.' },
  ],
  deployment: { maxOngoingRequests: 8, timeoutMs: 120_000 },
});
