import { createEmbedder } from '../embedder.js';
import type { ContextDocument, LlmConfig, Source } from './backend.js';
import type { BackendFactory } from './backend.js';
import { sourceName } from './prompt.js';

interface Sentence {
  text: string;
  doc: number;
  pos: number;
}

/** Words too common to say what a question is about. */
const STOPWORDS = new Set(
  'a an and are as at be by can do does for from has have how i in is it its of on or that the this to was what when where which who why will with you your'.split(' '),
);
/** Weight of the share of the question's content words found in a sentence, next to the cosine. */
const OVERLAP_WEIGHT = 0.5;
/** Bonus for a sentence that defines what a "What is X?" question asks about ("X is ..."). */
const DEFINITION_WEIGHT = 0.3;

/** For "what/who is|are X?", a test for sentences that start by defining X. */
export function definitionTest(question: string): ((sentence: string) => boolean) | undefined {
  const m = /^\s*(?:what|who)\s+(?:is|are|was|were)\s+(?:an?\s+|the\s+)?(.+?)\s*\?*\s*$/i.exec(question);
  if (!m) return undefined;
  const subject = m[1].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^(?:an?\\s+|the\\s+)?${subject}\\s+(?:is|are|was|were)\\b`, 'i');
  return (sentence) => re.test(sentence);
}

/** Sentences of a document, with markdown markers stripped and fragments under minWords dropped. */
export function splitSentences(text: string, minWords = 3): string[] {
  return text
    .split(/\n\s*\n|\n(?=\s*(?:[#>*-]|\d+\.)\s)/)
    .flatMap((block) => block.replace(/\s+/g, ' ').split(/(?<=[.!?])\s+(?=[A-Z0-9"'([])/))
    .map((s) => s.replace(/^\s*(?:#+|>|[*-]|\d+\.)\s+/, '').trim())
    .filter((s) => s.split(/\s+/).length >= minWords);
}

function contentWords(text: string): Set<string> {
  return new Set((text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length > 1 && !STOPWORDS.has(w)));
}

/**
 * Not a language model: answers by selecting the context sentences most similar to
 * the question (embedding cosine plus the share of the question's content words the
 * sentence contains, which keeps words the embedder lacks, like product names, in
 * play; a "What is X?" question also prefers sentences of the form "X is ...") and
 * giving them in document order.
 */
export const extractiveBackend: BackendFactory = async (cfg: LlmConfig, ctx) => {
  const embedder = await createEmbedder({ model: cfg.model ?? 'builtin:glove-100d' }, ctx);
  return {
    async generate({ question, documents, ctx: call }) {
      const split = (minWords: number): Sentence[] =>
        documents.flatMap((d: ContextDocument, doc) => splitSentences(d.text, minWords).map((text, pos) => ({ text, doc, pos })));
      // Short fragments (OCR lines, headings) count only when there is nothing longer.
      let sentences = split(3);
      if (sentences.length === 0) sentences = split(1);
      if (sentences.length === 0) {
        const answer = 'The context holds no sentences to answer from.';
        call.emitToken(answer);
        return { answer, sources: [] };
      }
      const [q, ...vs] = await embedder.embed([question, ...sentences.map((s) => s.text)]);
      const asked = contentWords(question);
      const defines = definitionTest(question);
      const scores = sentences.map((s, i) => {
        let cos = 0;
        for (let k = 0; k < q.length; k++) cos += q[k] * vs[i][k];
        const words = contentWords(s.text);
        const overlap = asked.size ? [...asked].filter((w) => words.has(w)).length / asked.size : 0;
        return cos + OVERLAP_WEIGHT * overlap + (defines?.(s.text) ? DEFINITION_WEIGHT : 0);
      });
      const picked = sentences
        .map((s, i) => ({ ...s, score: scores[i] }))
        .sort((a, b) => b.score - a.score)
        .slice(0, cfg.maxSentences)
        .sort((a, b) => a.doc - b.doc || a.pos - b.pos);
      for (const [i, s] of picked.entries()) call.emitToken(i === 0 ? s.text : ` ${s.text}`);
      const best = new Map<string, number>();
      for (const s of picked) {
        const name = sourceName(documents[s.doc], s.doc);
        best.set(name, Math.max(best.get(name) ?? Number.NEGATIVE_INFINITY, s.score));
      }
      const sources: Source[] = [...best].map(([source, score]) => ({ source, score: Math.round(score * 1e4) / 1e4 })).sort((a, b) => b.score - a.score);
      return { answer: picked.map((s) => s.text).join(' '), sources };
    },
    close: () => embedder.close(),
  };
};
