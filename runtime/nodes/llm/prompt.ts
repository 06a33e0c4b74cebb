import { NodeInputError, type NodeInputs } from '../types.js';
import type { ContextDocument, Source } from './backend.js';

/** The question and its context documents from a node's inputs, or an error naming the bad field. */
export function readInputs(inputs: NodeInputs): { question: string; documents: ContextDocument[] } {
  const question = inputs.prompt;
  if (typeof question !== 'string') throw new NodeInputError(`input "prompt" must be a string, got ${question === null ? 'null' : typeof question}`, 'prompt');
  return { question, documents: readDocuments(inputs.context) };
}

function readDocuments(context: unknown): ContextDocument[] {
  if (context === undefined || context === null) return [];
  if (typeof context === 'string') return [{ text: context, source: 'context' }];
  if (!Array.isArray(context)) throw new NodeInputError('input "context" must be an array of documents or a string', 'context');
  return context.map((d, i) => {
    if (typeof d === 'string') return { text: d, source: `context[${i}]` };
    if (typeof d !== 'object' || d === null || typeof (d as ContextDocument).text !== 'string') {
      throw new NodeInputError(`input "context[${i}]" must be a document with a string "text"`, `context[${i}].text`);
    }
    return d as ContextDocument;
  });
}

export function sourceName(d: ContextDocument, i: number): string {
  return d.source ?? d.id ?? `context[${i}]`;
}

/** Context as numbered passages with their source, for {context} in the prompt template. */
export function formatContext(documents: ContextDocument[]): string {
  return documents.map((d, i) => `[${i + 1}] (${sourceName(d, i)}) ${d.text.trim()}`).join('\n\n');
}

/** Fills {context} and {question} in one pass, so a question containing "{context}" stays literal. */
export function fillTemplate(template: string, question: string, documents: ContextDocument[]): string {
  const values: Record<string, string> = { context: formatContext(documents), question };
  return template.replace(/\{(context|question)\}/g, (_, k: string) => values[k]);
}

/** One entry per source with its best retrieval score, best first. */
export function documentSources(documents: ContextDocument[]): Source[] {
  const best = new Map<string, number>();
  documents.forEach((d, i) => {
    const s = sourceName(d, i);
    const score = typeof d.score === 'number' ? d.score : 0;
    best.set(s, Math.max(best.get(s) ?? Number.NEGATIVE_INFINITY, score));
  });
  return [...best].map(([source, score]) => ({ source, score })).sort((a, b) => b.score - a.score);
}
