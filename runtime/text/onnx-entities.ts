/**
 * Entities from an ONNX token-classification model (a folder with model.onnx,
 * tokenizer.json and config.json's id2label, as Hugging Face exports them):
 * the text is split into words with their offsets, each word is tokenised on
 * its own so every token knows its word, and BIO tags over words become spans.
 */
import { requireFit } from '../models/layout.js';
import { floatData, type OpenedSession, openSession } from '../models/onnx-session.js';
import { modelFile, resolveModelDir } from '../models/resolve.js';
import { textFeeds } from '../models/text-feeds.js';
import { TextTokenizer } from '../models/tokenizer.js';
import type { NodeContext } from '../nodes/types.js';
import type { Entity } from './wink-entities.js';

export interface Word {
  start: number;
  end: number;
}

/** Words as a BERT pre-tokeniser sees them: runs of letters and digits, or one other visible character. */
export function splitWords(text: string): Word[] {
  const out: Word[] = [];
  const re = /[\p{L}\p{N}\p{M}]+|[^\s\p{L}\p{N}\p{M}]/gu;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ start: m.index, end: m.index + m[0].length });
  return out;
}

/** "B-DATE" -> ["B", "DATE"]; a bare "DATE" counts as a beginning; "O" is outside. */
function parseTag(tag: string): ['B' | 'I' | 'O', string] {
  if (tag === 'O' || tag === '') return ['O', ''];
  const m = /^([BIES])[-_](.+)$/.exec(tag);
  if (!m) return ['B', tag];
  return [m[1] === 'I' || m[1] === 'E' ? 'I' : 'B', m[2]];
}

/** Word tags (BIO, also IOB1 and BIOES) to spans of consecutive words of one type. */
export function bioSpans(text: string, words: Word[], tags: string[], scores: number[]): (Entity & { score: number })[] {
  const out: (Entity & { score: number })[] = [];
  let open: { type: string; from: number; to: number; score: number; n: number } | undefined;
  const close = () => {
    if (!open) return;
    const start = words[open.from].start;
    const end = words[open.to].end;
    out.push({ value: text.slice(start, end), type: open.type, start, end, score: Math.round((open.score / open.n) * 1e4) / 1e4 });
    open = undefined;
  };
  for (let i = 0; i < tags.length; i++) {
    const [pos, type] = parseTag(tags[i]);
    if (pos === 'O') {
      close();
    } else if (pos === 'I' && open && open.type === type && open.to === i - 1) {
      open.to = i;
      open.score += scores[i];
      open.n++;
    } else {
      close();
      open = { type, from: i, to: i, score: scores[i], n: 1 };
    }
  }
  close();
  return out;
}

export interface TokenClassifier {
  entities(text: string): Promise<(Entity & { score: number })[]>;
  close(): Promise<void>;
}

export async function createTokenClassifier(model: string, ctx: Pick<NodeContext, 'modelsDir' | 'device' | 'log' | 'count'>, maxTokens = 512): Promise<TokenClassifier> {
  const dir = resolveModelDir(model, ctx.modelsDir);
  // Per-token logits and config.json id2label, or an error naming what is missing (runtime/models/layout.ts).
  const { fit, report } = requireFit(dir, 'token-classifier');
  const labels = fit.labels!;
  const maxLength = Math.min(maxTokens, report.maxLength ?? Number.POSITIVE_INFINITY);
  const tok = TextTokenizer.load(dir);
  const { session }: OpenedSession = await openSession(modelFile(dir, 'model.onnx'), ctx.device, ctx.log);
  // The special tokens the template puts around one text ([CLS] ... [SEP]).
  const full = tok.tokenizer.encode('a').ids;
  const plain = tok.tokenizer.encode('a', { add_special_tokens: false }).ids;
  const at = full.indexOf(plain[0]);
  const prefix = full.slice(0, Math.max(0, at));
  const suffix = full.slice(Math.max(0, at) + plain.length);

  return {
    async entities(text) {
      const words = splitWords(text);
      const ids: number[] = [...prefix];
      const firstToken: number[] = [];
      const kept: Word[] = [];
      for (const w of words) {
        const pieces = tok.tokenizer.encode(text.slice(w.start, w.end), { add_special_tokens: false }).ids;
        if (pieces.length === 0) continue;
        if (ids.length + pieces.length + suffix.length > maxLength) {
          // The words past the model's length are not tagged; counted, as the other nodes count cut texts.
          ctx.count?.('truncated');
          break;
        }
        firstToken.push(ids.length);
        kept.push(w);
        ids.push(...pieces);
      }
      ids.push(...suffix);
      const seq = ids.length;
      const batch = { ids: Int32Array.from(ids), mask: new Int32Array(seq).fill(1), typeIds: new Int32Array(seq), batch: 1, seq, lengths: [seq] };
      const out = await session.run(textFeeds(session, batch, model));
      const logits = out[fit.output!];
      const n = Number(logits.dims[2]);
      if (n !== labels.length) throw new Error(`config.model: ${model} gives ${n} labels per token, config.json names ${labels.length}`);
      const data = floatData(logits, `model ${model} output "${fit.output}"`);
      const tags: string[] = [];
      const scores: number[] = [];
      // A word takes the tag of its first token; the score is the softmax of that tag.
      for (const t of firstToken) {
        const row = data.subarray(t * n, (t + 1) * n);
        let best = 0;
        for (let k = 1; k < n; k++) if (row[k] > row[best]) best = k;
        let sum = 0;
        for (let k = 0; k < n; k++) sum += Math.exp(row[k] - row[best]);
        tags.push(labels[best] ?? 'O');
        scores.push(1 / sum);
      }
      return bioSpans(text, kept, tags, scores);
    },
    close: () => session.release(),
  };
}
