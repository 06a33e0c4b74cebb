import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { Lru } from '../../runtime/models/lru.js';
import { ModelConfigError, resolveModelDir } from '../../runtime/models/resolve.js';
import { TextTokenizer } from '../../runtime/models/tokenizer.js';
import { llamaTokenizerFiles, llamaVocab } from '../fixtures/tiny-llama/tokenizer.js';
import { MODELS } from './helpers.js';

/** The tiny-llama fixture's tokenizer, loaded as TextTokenizer.load would from its folder. */
function llamaTokenizer(): TextTokenizer {
  const files = llamaTokenizerFiles(llamaVocab(), 64);
  const config = JSON.parse(files['tokenizer_config.json']);
  return new TextTokenizer(new Tokenizer(JSON.parse(files['tokenizer.json']), config), config);
}
const bert = () => TextTokenizer.load(join(MODELS, 'glove-100d'));

describe('tokenizer.json through @huggingface/tokenizers', () => {
  it('pads a batch to its longest row with [PAD] and a zero mask', () => {
    const b = bert().batch(['the cat', 'the cat sat on the mat'], 256);
    expect(b.batch).toBe(2);
    expect(b.seq).toBe(8);
    expect(Array.from(b.ids.slice(0, 8))).toEqual([2, 5, 5144, 3, 0, 0, 0, 0]);
    expect(Array.from(b.mask.slice(0, 8))).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    expect(Array.from(b.mask.slice(8))).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(b.lengths).toEqual([4, 8]);
  });

  it('encodes (query, document) pairs with segment ids and cuts the document first', () => {
    const t = bert();
    const full = t.encodePair('the cat', 'sat on the mat', 256);
    expect(full.ids).toEqual([2, 5, 5144, 3, 3047, 16, 5, 14139, 3]);
    expect(full.typeIds).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 1]);
    const cut = t.encodePair('the cat', 'sat on the mat', 6);
    expect(cut.ids).toEqual([2, 5, 5144, 3, 3047, 3]);
    expect(cut.typeIds).toEqual([0, 0, 0, 0, 1, 1]);
  });

  it('keeps the start token and the end of a long prompt for generation (Llama-style BPE, byte fallback)', () => {
    const llama = llamaTokenizer();
    // Ids worked out by hand from the vocabulary layout in test/fixtures/tiny-llama/tokenizer.ts: <s> = 1,
    // byte b = 3 + b, ALPHABET from 259 (▁ 259, e 267, b 264, r 279, a 263), then one token per prefix
    // of each ▁word in WORDS order: ▁I 286, ▁d..▁dream 287-291, ▁o 292, ▁of 293, ▁t 294, ▁th 295, ▁the 296.
    expect(llama.encode('I dream of', 100)).toEqual([1, 286, 291, 293]);
    expect(llama.encodeTail('I dream of', 3)).toEqual([1, 291, 293]);
    expect(llama.decode([1, 286, 291, 293])).toBe('I dream of');
    // é is not in the vocabulary: its UTF-8 bytes C3 A9; z neither (7A), and ▁zebra has no merges.
    const mixed = [1, 286, 291, 293, 259, 3 + 0xc3, 3 + 0xa9, 296, 259, 3 + 0x7a, 267, 264, 279, 263];
    expect(llama.encode('I dream of é the zebra', 100)).toEqual(mixed);
    expect(llama.decode(mixed)).toBe('I dream of é the zebra');
  });

  it('answers repeated texts from its LRU, which evicts the least recently used', () => {
    const t = bert();
    const a = t.encode('the cat sat', 256);
    expect(t.encode('the cat sat', 256)).toBe(a);
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.get('a');
    lru.set('c', 3);
    expect([lru.get('a'), lru.get('b'), lru.get('c')]).toEqual([1, undefined, 3]);
  });

  it('resolves model folders inside the models directory only', () => {
    expect(resolveModelDir('glove-100d', MODELS)).toBe(join(MODELS, 'glove-100d'));
    for (const bad of ['../models/glove-100d', '/etc', 'a/../../x', 'builtin:../x']) {
      expect(() => resolveModelDir(bad, MODELS)).toThrow(ModelConfigError);
    }
    expect(() => resolveModelDir('/etc', MODELS)).toThrow(/config\.model/);
  });
});
