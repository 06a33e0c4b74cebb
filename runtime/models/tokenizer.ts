import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { Lru } from './lru.js';
import { modelFile } from './resolve.js';

/** Token ids of several texts padded to the longest, row-major [batch, seq]. */
export interface TokenBatch {
  ids: Int32Array;
  mask: Int32Array;
  typeIds: Int32Array;
  batch: number;
  seq: number;
  /** Real (unpadded) length of each row. */
  lengths: number[];
  /** Rows cut to maxLength (or cut in characters before tokenising). */
  truncated?: number;
}

interface Encoded {
  ids: number[];
  typeIds: number[];
  /** Longer than maxLength before it was cut. */
  truncated?: boolean;
}

/**
 * Characters kept per token of maxLength before a text is tokenised at all:
 * a 9 MB text took seconds and a gigabyte to tokenise only to be cut to 256
 * tokens. Natural text averages 3-6 characters per token, so the cut never
 * reaches a token that would have been kept (a very long word is one [UNK]).
 */
export const CHARS_PER_TOKEN_BOUND = 32;

/**
 * tokenizer.json through @huggingface/tokenizers, plus what that library leaves
 * out: truncation that keeps the special tokens, padding to the longest row, and
 * an LRU of recent texts because encoding (~19k texts/s) is slower than small models.
 */
export class TextTokenizer {
  readonly padId: number;
  /** The tokenizer's model_max_length (tokenizer_config.json) when it declares a real one. */
  readonly modelMaxLength: number | undefined;
  /** Special tokens the template adds before and after a single text ([CLS] ... [SEP] -> 1, 1). */
  private readonly prefix: number;
  private readonly suffix: number;
  private readonly pairSuffix: number;
  private readonly cache: Lru<string, Encoded>;

  constructor(
    readonly tokenizer: Tokenizer,
    config: Record<string, unknown>,
    cacheSize = 4096,
  ) {
    this.cache = new Lru(cacheSize);
    const pad = typeof config.pad_token === 'string' ? tokenizer.token_to_id(config.pad_token) : undefined;
    this.padId = pad ?? tokenizer.token_to_id('[PAD]') ?? tokenizer.token_to_id('<pad>') ?? 0;
    // Some configs write a huge sentinel (1e30) for "no limit".
    const declared = config.model_max_length;
    this.modelMaxLength = typeof declared === 'number' && declared >= 1 && declared <= 1_000_000 ? Math.floor(declared) : undefined;
    const plain = tokenizer.encode('a', { add_special_tokens: false }).ids;
    const full = tokenizer.encode('a').ids;
    this.prefix = Math.max(0, findRun(full, plain));
    this.suffix = full.length - plain.length - this.prefix;
    const pair = tokenizer.encode('a', { text_pair: 'b' }).ids;
    const plainB = tokenizer.encode('b', { add_special_tokens: false }).ids;
    this.pairSuffix = Math.max(0, pair.length - lastRun(pair, plainB) - plainB.length);
  }

  static load(dir: string, cacheSize?: number): TextTokenizer {
    const json = JSON.parse(readFileSync(modelFile(dir, 'tokenizer.json'), 'utf8'));
    const cfgPath = join(dir, 'tokenizer_config.json');
    const config = existsSync(cfgPath) ? JSON.parse(readFileSync(cfgPath, 'utf8')) : {};
    return new TextTokenizer(new Tokenizer(json, config), config, cacheSize);
  }

  /** Ids of one text with the model's special tokens, at most maxLength long. */
  encode(text: string, maxLength: number): number[] {
    return this.encodeCached(text, undefined, maxLength).ids;
  }

  /** Ids for generation: over maxLength, the start's special tokens and the end of the text are kept. */
  encodeTail(text: string, maxLength: number): number[] {
    const ids = this.tokenizer.encode(text).ids;
    if (ids.length <= maxLength) return ids;
    const keep = Math.max(1, maxLength - this.prefix);
    return [...ids.slice(0, this.prefix), ...ids.slice(ids.length - keep)];
  }

  /** Ids and segment ids of a (query, document) pair; the document is cut first. */
  encodePair(a: string, b: string, maxLength: number): Encoded {
    return this.encodeCached(a, b, maxLength);
  }

  batch(texts: string[], maxLength: number): TokenBatch {
    return pad(
      texts.map((t) => this.encodeCached(t, undefined, maxLength)),
      this.padId,
    );
  }

  batchPairs(pairs: [string, string][], maxLength: number): TokenBatch {
    return pad(
      pairs.map(([a, b]) => this.encodeCached(a, b, maxLength)),
      this.padId,
    );
  }

  decode(ids: number[], skipSpecial = true): string {
    return this.tokenizer.decode(ids, { skip_special_tokens: skipSpecial });
  }

  idOf(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }

  private encodeCached(a: string, b: string | undefined, maxLength: number): Encoded {
    // Cut before the cache key too: the LRU would otherwise hold every huge text it saw.
    const bound = maxLength * CHARS_PER_TOKEN_BOUND;
    const cut = a.length > bound || (b !== undefined && b.length > bound);
    if (cut) {
      a = a.slice(0, bound);
      if (b !== undefined) b = b.slice(0, bound);
    }
    const key = b === undefined ? `${maxLength}\u0000${a}` : `${maxLength}\u0000${a}\u0001${b}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const enc = b === undefined ? this.single(a, maxLength) : this.pair(a, b, maxLength);
    if (cut) enc.truncated = true;
    this.cache.set(key, enc);
    return enc;
  }

  private single(text: string, maxLength: number): Encoded {
    const ids = this.tokenizer.encode(text).ids;
    const keep = Math.max(0, maxLength - this.prefix - this.suffix);
    if (ids.length <= maxLength) return { ids, typeIds: zeros(ids.length) };
    const cut = [...ids.slice(0, this.prefix), ...ids.slice(this.prefix, this.prefix + keep), ...ids.slice(ids.length - this.suffix)];
    return { ids: cut.slice(0, Math.max(maxLength, 1)), typeIds: zeros(Math.min(cut.length, Math.max(maxLength, 1))), truncated: true };
  }

  private pair(a: string, b: string, maxLength: number): Encoded {
    const enc = this.tokenizer.encode(a, { text_pair: b, return_token_type_ids: true });
    const ids = enc.ids;
    const typeIds = enc.token_type_ids ?? zeros(ids.length);
    const over = ids.length - maxLength;
    if (over <= 0) return { ids, typeIds };
    // Cut the end of the document's tokens, keep the closing special tokens.
    const tailStart = ids.length - this.pairSuffix;
    const keepHead = Math.max(1, tailStart - over);
    const pick = (xs: number[]) => [...xs.slice(0, keepHead), ...xs.slice(tailStart)].slice(0, maxLength);
    return { ids: pick(ids), typeIds: pick(typeIds), truncated: true };
  }
}

function pad(rows: Encoded[], padId: number): TokenBatch {
  const batch = rows.length;
  const seq = Math.max(1, ...rows.map((r) => r.ids.length));
  const ids = new Int32Array(batch * seq).fill(padId);
  const mask = new Int32Array(batch * seq);
  const typeIds = new Int32Array(batch * seq);
  rows.forEach((r, i) => {
    ids.set(r.ids, i * seq);
    mask.fill(1, i * seq, i * seq + r.ids.length);
    typeIds.set(r.typeIds, i * seq);
  });
  let truncated = 0;
  for (const r of rows) if (r.truncated) truncated++;
  return { ids, mask, typeIds, batch, seq, lengths: rows.map((r) => r.ids.length), truncated };
}

function zeros(n: number): number[] {
  return new Array<number>(n).fill(0);
}

function findRun(hay: number[], needle: number[]): number {
  for (let p = 0; p + needle.length <= hay.length; p++) if (needle.every((x, i) => hay[p + i] === x)) return p;
  return -1;
}

function lastRun(hay: number[], needle: number[]): number {
  for (let p = hay.length - needle.length; p >= 0; p--) if (needle.every((x, i) => hay[p + i] === x)) return p;
  return hay.length - needle.length;
}
