import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_MODELS_DIR } from '../../runtime/models/resolve.js';
import { cosine } from '../../runtime/models/vectors.js';
import { createClassifier, type TextClassifier } from '../../runtime/nodes/classifier.js';
import { createEmbedder, type Embedder } from '../../runtime/nodes/embedder.js';
import { nodeContext, SHARED_MODELS } from './helpers.js';

// The committed artefacts of scripts/build-models.ts against the reference models beside the repo.
describe('builtin models (committed artefacts of npm run build:models)', () => {
  let builtin: Embedder;
  let reference: Embedder;
  let vader: TextClassifier;
  let vaderRef: TextClassifier;
  beforeAll(async () => {
    const ctx = nodeContext('embedder');
    [builtin, reference, vader, vaderRef] = await Promise.all([
      createEmbedder({ model: 'builtin:glove-100d' }, ctx),
      createEmbedder({ model: 'glove-100d-embedder' }, ctx),
      createClassifier({ model: 'builtin:vader-sentiment' }, ctx),
      createClassifier({ model: 'vader-sentiment-classifier' }, ctx),
    ]);
  });
  afterAll(async () => {
    await Promise.all([builtin.close(), reference.close(), vader.close(), vaderRef.close()]);
  });

  it('glove-100d gives the README ids and embedding values for "The cat sat on the mat."', async () => {
    const text = 'The cat sat on the mat.';
    expect(builtin.tokenizer.encode(text, 256)).toEqual([2, 5, 5144, 3047, 16, 5, 14139, 7, 3]);
    const [v] = await builtin.embed([text]);
    const [r] = await reference.embed([text]);
    for (const [i, x] of [-0.05031, 0.01795, 0.11856, -0.1088, -0.04368].entries()) expect(v[i]).toBeCloseTo(x, 4);
    for (let i = 0; i < 100; i++) expect(v[i]).toBeCloseTo(r[i], 5);
  });

  it('glove-100d has the same vocabulary as the reference and near-equal vectors on varied text', async () => {
    expect(readFileSync(join(BUILTIN_MODELS_DIR, 'glove-100d', 'vocab.txt'), 'utf8')).toBe(readFileSync(join(SHARED_MODELS, 'glove-100d-embedder', 'vocab.txt'), 'utf8'));
    const texts = ['Kubernetes schedules containers onto nodes.', 'Ray Serve scales model deployments.', 'Vector search finds the nearest neighbours.', 'zzqx unknownword'];
    const a = await builtin.embed(texts);
    const b = await reference.embed(texts);
    for (let i = 0; i < texts.length; i++) expect(cosine(a[i], b[i]) > 0.99999 || (a[i].every((x) => x === 0) && b[i].every((x) => x === 0))).toBe(true);
  });

  it('glove-100d ranks a paraphrase above an unrelated sentence', async () => {
    const [x, p, u] = await builtin.embed(['A man is playing a guitar.', 'Someone plays an acoustic guitar on stage.', 'The stock market fell sharply today.']);
    expect(cosine(x, p)).toBeGreaterThan(cosine(x, u));
  });

  it('vader-sentiment labels the reference examples as the reference model does', async () => {
    const texts = ['I love this movie, it is wonderful and fun.', 'This is a terrible, awful, boring film.', 'lol that was ok', 'The weather is cold and grey and sad.'];
    const mine = await vader.classify(texts);
    const ref = await vaderRef.classify(texts);
    expect(mine.map((r) => r.label)).toEqual(['POSITIVE', 'NEGATIVE', 'POSITIVE', 'NEGATIVE']);
    for (let i = 0; i < texts.length; i++) expect(mine[i].scores.POSITIVE).toBeCloseTo(ref[i].scores.POSITIVE, 6);
    expect(vader.labels).toEqual(['NEGATIVE', 'POSITIVE']);
  });
});
