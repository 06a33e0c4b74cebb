import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Lru } from '../../runtime/models/lru.js';
import { ModelConfigError, resolveModelDir } from '../../runtime/models/resolve.js';
import { TextTokenizer } from '../../runtime/models/tokenizer.js';
import { SHARED_MODELS } from './helpers.js';

const bert = () => TextTokenizer.load(join(SHARED_MODELS, 'glove-100d-embedder'));

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

  it('keeps the start token and the end of a long prompt for generation', () => {
    const llama = TextTokenizer.load(join(SHARED_MODELS, 'aidreams-260k-llm'));
    expect(llama.encode('I dream of', 100)).toEqual([1, 303, 281, 269, 435, 447, 275]);
    expect(llama.encodeTail('I dream of', 3)).toEqual([1, 447, 275]);
    expect(llama.decode([1, 303, 281, 269, 435, 447, 275])).toBe('I dream of');
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
    expect(resolveModelDir('glove-100d-embedder', SHARED_MODELS)).toBe(join(SHARED_MODELS, 'glove-100d-embedder'));
    for (const bad of ['../models/glove-100d-embedder', '/etc', 'a/../../x', 'builtin:../x']) {
      expect(() => resolveModelDir(bad, SHARED_MODELS)).toThrow(ModelConfigError);
    }
    expect(() => resolveModelDir('/etc', SHARED_MODELS)).toThrow(/config\.model/);
  });
});
