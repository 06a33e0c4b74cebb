import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbedder, type Embedder, embedder } from '../../runtime/nodes/embedder.js';
import type { NodeInstance } from '../../runtime/nodes/types.js';
import { cosine } from '../../runtime/models/vectors.js';
import { callContext, nodeContext } from './helpers.js';

// Expected values from the README of the reference GloVe model (glove-100d-embedder, onnxruntime-node 1.30.0);
// models/glove-100d is built from the same source (models/README.md) and gives the same ids and values.
const CAT = 'The cat sat on the mat.';
const CAT_IDS = [2, 5, 5144, 3047, 16, 5, 14139, 7, 3];
const CAT_HEAD = [-0.05031, 0.01795, 0.11856, -0.1088, -0.04368];

describe('embedder on the reference GloVe model', () => {
  let e: Embedder;
  let node: NodeInstance;
  beforeAll(async () => {
    e = await createEmbedder({ model: 'glove-100d' }, nodeContext('embedder'));
    node = await embedder.setup({ model: 'glove-100d', pooling: 'auto', normalize: true, maxLength: 256 }, nodeContext('embedder'));
  });
  afterAll(async () => {
    await e.close();
    await node.close?.();
  });

  it('tokenises to the README ids and reproduces its embedding values', async () => {
    expect(e.tokenizer.encode(CAT, 256)).toEqual(CAT_IDS);
    expect(e.dim).toBe(100);
    const [v] = await e.embed([CAT]);
    for (const [i, x] of CAT_HEAD.entries()) expect(v[i]).toBeCloseTo(x, 4);
  });

  it('mean pooling of last_hidden_state equals the model pooled output', async () => {
    const mean = await createEmbedder({ model: 'glove-100d', pooling: 'mean' }, nodeContext('embedder'));
    const [a] = await mean.embed([CAT]);
    const [b] = await e.embed([CAT]);
    for (let i = 0; i < 100; i++) expect(a[i]).toBeCloseTo(b[i], 5);
    await mean.close();
  });

  it('scores a paraphrase above an unrelated sentence', async () => {
    const [a, p, u] = await e.embed(['A man is playing a guitar.', 'Someone plays an acoustic guitar on stage.', 'The stock market fell sharply today.']);
    expect(cosine(a, p)).toBeCloseTo(0.944, 2);
    expect(cosine(a, u)).toBeCloseTo(0.668, 2);
    expect(cosine(a, p)).toBeGreaterThan(cosine(a, u));
  });

  it('pads inside a batch without changing a row', async () => {
    const [alone] = await e.embed(['short one']);
    const [inBatch] = await e.embed(['short one', 'a much longer sentence that forces padding of the short one in the batch']);
    for (let i = 0; i < 100; i++) expect(inBatch[i]).toBeCloseTo(alone[i], 6);
  });

  it('truncates to maxLength keeping [CLS] and [SEP]', () => {
    const ids = e.tokenizer.encode(CAT, 4);
    expect(ids).toEqual([2, 5, 5144, 3]);
  });

  it('node call returns the vector and passes the text on', async () => {
    const out = await node.call({ text: CAT }, callContext());
    expect(out.text).toBe(CAT);
    expect((out.vector as number[]).length).toBe(100);
    expect((out.vector as number[])[0]).toBeCloseTo(CAT_HEAD[0], 4);
  });

  it('batch() equals call() per item and a bad item fails only itself', async () => {
    const items = [{ text: CAT }, { text: 42 }, { text: 'Kubernetes schedules containers.' }];
    const res = await node.batch!(items, items.map(() => callContext()));
    expect(res[1]).toBeInstanceOf(Error);
    expect((res[1] as Error).message).toContain('"text"');
    for (const i of [0, 2]) {
      const single = await node.call(items[i], callContext());
      const got = res[i] as Record<string, number[]>;
      for (const [k, x] of got.vector.entries()) expect(x).toBeCloseTo((single.vector as number[])[k], 6);
    }
  });

  it('refuses a model path escaping the models directory, naming the field', async () => {
    await expect(createEmbedder({ model: '../../etc' }, nodeContext('embedder'))).rejects.toThrow(/config\.model/);
    await expect(createEmbedder({ model: 'builtin:nope' }, nodeContext('embedder'))).rejects.toThrow(/config\.model.*nope/);
  });
});
