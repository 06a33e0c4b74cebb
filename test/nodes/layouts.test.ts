import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TextTokenizer } from '../../runtime/models/tokenizer.js';
import { cosine, sigmoid, softmax } from '../../runtime/models/vectors.js';
import { createClassifier } from '../../runtime/nodes/classifier.js';
import { createEmbedder } from '../../runtime/nodes/embedder.js';
import { ner } from '../../runtime/nodes/ner.js';
import { reranker } from '../../runtime/nodes/reranker.js';
import type { NodeContext } from '../../runtime/nodes/types.js';
import { roundToHalf } from '../../scripts/models/precision.js';
import { type TinyBertLayout, type TinyBertWeights, tinyBertWeights, writeTinyBert } from '../fixtures/tiny-bert/model.js';
import { referenceEmbedding, referenceHidden, referenceLogits } from '../fixtures/tiny-bert/reference.js';
import { bpeVocab, type TokenizerFamily, wordPieceVocab } from '../fixtures/tiny-bert/tokenizers.js';
import { callContext, nodeContext } from './helpers.js';

/**
 * The encoder layouts exporters write (docs/models.md), on tiny-bert (test/fixtures/tiny-bert: the
 * project's ONNX writer, seeded random weights) against its plain TypeScript forward pass. Every
 * batch mixes lengths, so padding, the attention mask and the segment ids all have to be fed right.
 */
const TEXTS = ['The cat sat on the mat', 'Ada Lovelace visited London on Monday.', 'a', 'What is the weather tomorrow? Rain on the blue sea and sky.'];

let modelsDir: string;
const w = tinyBertWeights(2);
const ctx = (): NodeContext & { logs: string[]; counts: Record<string, number> } => {
  const counts: Record<string, number> = {};
  const count = (e: string, n = 1) => {
    counts[e] = (counts[e] ?? 0) + n;
  };
  return { ...nodeContext('model', modelsDir), count, counts };
};
const write = (name: string, layout: TinyBertLayout, opts: { tokenizer?: TokenizerFamily; weights?: TinyBertWeights } = {}) => basename(writeTinyBert({ modelsDir, name, layout, ...opts, weights: opts.weights ?? w }));
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));

beforeAll(() => {
  modelsDir = mkdtempSync(join(tmpdir(), 'beamline-layouts-'));
});
afterAll(() => rmSync(modelsDir, { recursive: true, force: true }));

describe('feature extraction (sentence-transformers / Optimum): input_ids, attention_mask, [token_type_ids] -> last_hidden_state | sentence_embedding', () => {
  it.each([
    ['with token_type_ids', true],
    ['without token_type_ids', false],
  ])('last_hidden_state %s: masked mean + L2 norm equals the reference for every row of a padded batch', async (_, tokenTypeIds) => {
    const model = write(`fe-hidden-${tokenTypeIds}`, { task: 'feature-extraction', tokenTypeIds });
    const e = await createEmbedder({ model }, ctx());
    const vs = await e.embed(TEXTS);
    for (const [i, t] of TEXTS.entries()) expect(maxDiff(vs[i], referenceEmbedding(w, e.tokenizer.encode(t, 32)))).toBeLessThan(1e-5);
    expect(e.dim).toBe(16);
    await e.close();
  });

  it('sentence_embedding (already pooled) is used as is; pooling "cls" reads last_hidden_state instead', async () => {
    const pooled = write('fe-pooled', { task: 'feature-extraction', tokenTypeIds: true, outputs: ['sentence_embedding'] });
    const e = await createEmbedder({ model: pooled }, ctx());
    const vs = await e.embed(TEXTS);
    for (const [i, t] of TEXTS.entries()) expect(maxDiff(vs[i], referenceEmbedding(w, e.tokenizer.encode(t, 32)))).toBeLessThan(1e-5);
    await e.close();
    await expect(createEmbedder({ model: pooled, pooling: 'cls' }, ctx())).rejects.toThrow(/config\.model: .*fe-pooled\/model\.onnx cannot work as an embedder: pooling "cls" needs token states/);
    const both = write('fe-both', { task: 'feature-extraction', tokenTypeIds: true, outputs: ['last_hidden_state', 'sentence_embedding'] });
    const cls = await createEmbedder({ model: both, pooling: 'cls' }, ctx());
    const [v] = await cls.embed([TEXTS[1]]);
    const first = referenceHidden(w, cls.tokenizer.encode(TEXTS[1], 32))[0];
    const norm = Math.hypot(...first);
    expect(maxDiff(v, first.map((x) => x / norm))).toBeLessThan(1e-5);
    await cls.close();
  });

  it('float16 weights and outputs: the embedder reads float16 and matches the reference on float16-rounded weights', async () => {
    const model = write('fe-fp16', { task: 'feature-extraction', tokenTypeIds: true, precision: 'fp16' });
    const e = await createEmbedder({ model }, ctx());
    const vs = await e.embed(TEXTS);
    const half = Object.fromEntries(Object.entries(w).map(([k, v]) => [k, v instanceof Float32Array ? roundToHalf(v) : v])) as unknown as TinyBertWeights;
    for (const [i, t] of TEXTS.entries()) {
      const ref = referenceEmbedding(half, e.tokenizer.encode(t, 32));
      // The last_hidden_state leaves the model as float16: about 3 significant digits.
      expect(maxDiff(vs[i], ref)).toBeLessThan(5e-3);
      expect(cosine(vs[i], ref)).toBeGreaterThan(0.9999);
    }
    await e.close();
  });

  it('dynamic int8 (DynamicQuantizeLinear + MatMulInteger): vectors within cosine 0.999 of the float32 reference', async () => {
    const model = write('fe-int8', { task: 'feature-extraction', tokenTypeIds: true, precision: 'int8' });
    const e = await createEmbedder({ model }, ctx());
    const vs = await e.embed(TEXTS);
    for (const [i, t] of TEXTS.entries()) expect(cosine(vs[i], referenceEmbedding(w, e.tokenizer.encode(t, 32)))).toBeGreaterThan(0.999);
    await e.close();
  });
});

describe('tokenizers: WordPiece (BERT), byte-level BPE (GPT-2 / Llama 3), Unigram (SentencePiece)', () => {
  it('WordPiece: lower-cases, splits "##" continuations, wraps in [CLS] ... [SEP], pads with [PAD]', () => {
    const dir = writeTinyBert({ modelsDir, name: 'tok-wordpiece', layout: { task: 'feature-extraction' }, weights: w });
    const t = TextTokenizer.load(dir);
    const v = wordPieceVocab();
    expect(t.encode('Ada Lovelace', 32)).toEqual(['[CLS]', 'ada', 'love', '##lace', '[SEP]'].map((x) => v.indexOf(x)));
    expect(t.padId).toBe(0);
    // Cut to 4 tokens, the special tokens kept.
    expect(t.encode('Ada Lovelace visited London', 4)).toEqual(['[CLS]', 'ada', 'love', '[SEP]'].map((x) => v.indexOf(x)));
  });

  it('byte-level BPE: spaces as "Ġ", any UTF-8 text round-trips through bytes, <|begin_of_text|> prepended', () => {
    const dir = writeTinyBert({ modelsDir, name: 'tok-bpe', layout: { task: 'feature-extraction' }, tokenizer: 'bpe', weights: w });
    const t = TextTokenizer.load(dir);
    const { tokens } = bpeVocab();
    const bot = tokens.length;
    expect(t.encode('The cat sat', 32)).toEqual([bot, tokens.indexOf('The'), tokens.indexOf('Ġcat'), tokens.indexOf('Ġsat')]);
    const text = 'naïve café 😀 — ok';
    const ids = t.encode(text, 64);
    expect(ids.every((id) => id <= bot)).toBe(true);
    expect(t.decode(ids)).toBe(text);
  });

  it('Unigram: "▁" pieces by score, unknown characters -> <unk>, <s> ... </s>, pads with <pad> (id 1)', () => {
    const dir = writeTinyBert({ modelsDir, name: 'tok-unigram', layout: { task: 'feature-extraction' }, tokenizer: 'unigram', weights: w });
    const t = TextTokenizer.load(dir);
    const tokens = t.tokenizer.encode('Ada Lovelace met Grace Hopper').tokens;
    expect(tokens).toEqual(['<s>', '▁Ada', '▁', 'L', 'o', 'v', 'e', 'lace', '▁met', '▁Grace', '▁Hopper', '</s>']);
    expect(t.tokenizer.encode('é').tokens).toEqual(['<s>', '▁', 'é', '</s>']);
    expect(t.tokenizer.encode('é').ids[2]).toBe(3);
    expect(t.padId).toBe(1);
  });

  it.each(['bpe', 'unigram'] as const)('%s: the generic embedder runs it with no special case and matches the reference on its ids', async (family) => {
    const model = write(`fe-${family}`, { task: 'feature-extraction', tokenTypeIds: true }, { tokenizer: family });
    const e = await createEmbedder({ model }, ctx());
    const vs = await e.embed(TEXTS);
    for (const [i, t] of TEXTS.entries()) expect(maxDiff(vs[i], referenceEmbedding(w, e.tokenizer.encode(t, 32)))).toBeLessThan(1e-5);
    await e.close();
  });
});

describe('sequence classification (Optimum text-classification) and cross-encoders', () => {
  const labels = ['NEGATIVE', 'NEUTRAL', 'POSITIVE'];
  const w3 = tinyBertWeights(3, 7);

  it('logits [batch, labels] with labels from config.json id2label: softmax equals the reference', async () => {
    const model = write('seq-cls', { task: 'sequence-classification', tokenTypeIds: true, labels }, { weights: w3 });
    const c = await createClassifier({ model }, ctx());
    expect(c.labels).toEqual(labels);
    const out = await c.classify(TEXTS);
    const tok = TextTokenizer.load(join(modelsDir, model));
    for (const [i, t] of TEXTS.entries()) {
      const p = softmax(referenceLogits(w3, tok.encode(t, 32)));
      for (const [k, l] of labels.entries()) expect(out[i].scores[l]).toBeCloseTo(p[k], 5);
      expect(out[i].label).toBe(labels[p.indexOf(Math.max(...p))]);
    }
    await c.close();
  });

  it('a cross-encoder (one logit, pairs with token_type_ids): the reranker scores sigmoid(logit) of [CLS] q [SEP] d [SEP]', async () => {
    const w1 = tinyBertWeights(1, 11);
    const model = write('cross', { task: 'sequence-classification', tokenTypeIds: true, labels: ['LABEL_0'] }, { weights: w1 });
    const node = await reranker.setup({ mode: 'cross-encoder', model, topK: 3, maxLength: 32 }, ctx());
    const docs = ['The cat sat on the mat', 'Rain on the sea', 'Ada wrote code'].map((text, i) => ({ id: `d${i}`, text, score: 0 }));
    const query = 'What is the weather tomorrow?';
    const out = (await node.call({ query, documents: docs }, callContext())).documents as { id: string; text: string; score: number }[];
    const tok = TextTokenizer.load(join(modelsDir, model));
    const expected = docs.map((d) => {
      const enc = tok.encodePair(query, d.text, 32);
      return { id: d.id, score: sigmoid(referenceLogits(w1, enc.ids, enc.typeIds)[0]), withoutSegments: sigmoid(referenceLogits(w1, enc.ids)[0]) };
    });
    expected.sort((a, b) => b.score - a.score);
    expect(out.map((d) => d.id)).toEqual(expected.map((d) => d.id));
    for (const [i, d] of out.entries()) {
      expect(d.score).toBeCloseTo(expected[i].score, 5);
      // Segment ids matter to this model: a node that left them at 0 would score differently.
      expect(Math.abs(expected[i].score - expected[i].withoutSegments)).toBeGreaterThan(1e-3);
    }
    await node.close?.();
  });
});

describe('token classification (Optimum token-classification): per-token logits, BIO/IOB2 tags -> entities with character spans', () => {
  const labels = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC', 'B-DATE', 'I-DATE'];
  const v = wordPieceVocab();
  const tagged: Record<string, string> = { ada: 'B-PER', love: 'I-PER', london: 'B-LOC', monday: 'B-DATE', grace: 'I-PER', hopper: 'I-PER', paris: 'B-LOC', '18': 'B-DATE', '##43': 'I-DATE' };
  // Every token is pushed to a tag (O unless listed), so the expected entities are known in advance.
  const tagBias = new Map(v.map((t, id) => [id, labels.indexOf(tagged[t] ?? 'O')]));
  const w7 = tinyBertWeights(labels.length, 5);

  it('merges B-/I- tags over words (a word takes its first token\'s tag), with spans into the original text', async () => {
    const model = write('tok-cls', { task: 'token-classification', labels, tagBias }, { weights: w7 });
    const node = await ner.setup({ backend: 'onnx', model } as never, ctx());
    const text = 'Ada  Lovelace visited London on Monday.';
    const { entities } = (await node.call({ text }, callContext())) as { entities: { value: string; type: string; start: number; end: number; score: number }[] };
    expect(entities.map(({ value, type, start, end }) => ({ value, type, start, end }))).toEqual([
      { value: 'Ada  Lovelace', type: 'PER', start: 0, end: 13 },
      { value: 'London', type: 'LOC', start: 22, end: 28 },
      { value: 'Monday', type: 'DATE', start: 32, end: 38 },
    ]);
    for (const e of entities) expect(text.slice(e.start, e.end)).toBe(e.value);
    for (const e of entities) expect(e.score).toBeGreaterThan(0.99);
    // IOB1-style I- without a B- starts an entity; "1843" is two tokens (18, ##43), one word.
    const other = (await node.call({ text: 'grace hopper met ada in paris in 1843' }, callContext())) as { entities: { value: string; type: string }[] };
    expect(other.entities.map((e) => [e.value, e.type])).toEqual([
      ['grace hopper', 'PER'],
      ['ada', 'PER'],
      ['paris', 'LOC'],
      ['1843', 'DATE'],
    ]);
    await node.close?.();
  });
});

describe('bad model folders: a clear error naming the field and the file, never a crash', () => {
  it('missing model.onnx or tokenizer.json', async () => {
    writeTinyBert({ modelsDir, name: 'no-tokenizer', layout: { task: 'feature-extraction' }, weights: w, omit: ['tokenizer.json'] });
    await expect(createEmbedder({ model: 'no-tokenizer' }, ctx())).rejects.toThrow(/^config\.model: .*no-tokenizer\/tokenizer\.json is missing/);
    writeTinyBert({ modelsDir, name: 'no-model', layout: { task: 'feature-extraction' }, weights: w, omit: ['model.onnx'] });
    await expect(createClassifier({ model: 'no-model' }, ctx())).rejects.toThrow(/^config\.model: .*no-model\/model\.onnx is missing/);
  });

  it('a tokenizer whose ids run past the model\'s embedding table', async () => {
    const small = tinyBertWeights(2, 19, 128);
    write('wrong-tokenizer', { task: 'feature-extraction' }, { tokenizer: 'bpe', weights: small });
    await expect(createEmbedder({ model: 'wrong-tokenizer' }, ctx())).rejects.toThrow(/tokenizer\.json gives ids up to \d+ but the model's embedding table has 128 rows: the tokenizer does not match/);
  });

  it('outputs that fit no known layout for the node', async () => {
    write('fe-only', { task: 'feature-extraction' });
    await expect(createClassifier({ model: 'fe-only' }, ctx())).rejects.toThrow(/fe-only\/model\.onnx cannot work as a classifier: it has no "logits" output \(outputs: last_hidden_state float32 \[batch_size, sequence_length, 16\]\).*fix: export the model with optimum-cli export onnx --task text-classification/);
    write('cls-only', { task: 'sequence-classification', labels: ['A', 'B'] });
    await expect(createEmbedder({ model: 'cls-only' }, ctx())).rejects.toThrow(/cannot work as an embedder: it outputs logits \[batch_size, 2\], a classifier's output/);
    await expect(ner.setup({ backend: 'onnx', model: 'cls-only' } as never, ctx())).rejects.toThrow(/cannot work as a token classifier: output "logits" \[batch_size, 2\] is not per token/);
    const three = tinyBertWeights(3);
    write('labels-off', { task: 'sequence-classification', labels: ['A', 'B', 'C'] }, { weights: three });
    await expect(createClassifier({ model: 'labels-off', labels: ['x', 'y'] }, ctx())).rejects.toThrow(/config\.labels names 2 labels but "logits" has 3 classes/);
  });

  it('a corrupt or truncated model.onnx', async () => {
    const dir = writeTinyBert({ modelsDir, name: 'corrupt', layout: { task: 'feature-extraction' }, weights: w });
    const bytes = readFileSync(join(dir, 'model.onnx'));
    writeFileSync(join(dir, 'model.onnx'), bytes.subarray(0, bytes.length - 700));
    await expect(createEmbedder({ model: 'corrupt' }, ctx())).rejects.toThrow(/^config\.model: .*corrupt\/model\.onnx is not a valid ONNX model: a field at byte \d+ claims \d+ bytes, past the end of the file/);
    writeFileSync(join(dir, 'model.onnx'), 'not a model at all');
    await expect(createEmbedder({ model: 'corrupt' }, ctx())).rejects.toThrow(/corrupt\/model\.onnx is not a valid ONNX model/);
  });

  it('texts longer than the model\'s 32 positions are cut and counted by every node, never passed on to fail', async () => {
    const long = Array.from({ length: 80 }, (_, i) => ['the', 'cat', 'sat', 'on', 'mat'][i % 5]).join(' ');
    const c1 = ctx();
    const e = await createEmbedder({ model: write('long-fe', { task: 'feature-extraction' }), maxLength: 256 }, c1);
    expect(e.maxLength).toBe(32);
    expect((await e.embed([long, 'a']))[0].length).toBe(16);
    expect(c1.counts.truncated).toBe(1);
    const c2 = ctx();
    const c = await createClassifier({ model: write('long-cls', { task: 'sequence-classification', labels: ['A', 'B'] }), maxLength: 512 }, c2);
    expect((await c.classify([long]))[0].label).toMatch(/^[AB]$/);
    expect(c2.counts.truncated).toBe(1);
    const c3 = ctx();
    const w1 = tinyBertWeights(1, 11);
    const rr = await reranker.setup({ mode: 'cross-encoder', model: write('long-cross', { task: 'sequence-classification', tokenTypeIds: true, labels: ['LABEL_0'] }, { weights: w1 }), topK: 2, maxLength: 512 }, c3);
    const ranked = (await rr.call({ query: 'cat', documents: [{ text: long, score: 0 }, { text: 'sea', score: 0 }] }, callContext())).documents as unknown[];
    expect(ranked).toHaveLength(2);
    expect(c3.counts.truncated).toBe(1);
    const c4 = ctx();
    const labels = ['O', 'B-X', 'I-X'];
    const tagger = await ner.setup({ backend: 'onnx', model: write('long-ner', { task: 'token-classification', labels }, { weights: tinyBertWeights(3) }) } as never, c4);
    expect(Array.isArray(((await tagger.call({ text: long }, callContext())) as { entities: unknown[] }).entities)).toBe(true);
    expect(c4.counts.truncated).toBe(1);
    await Promise.all([e.close(), c.close(), rr.close?.(), tagger.close?.()]);
  });
});
