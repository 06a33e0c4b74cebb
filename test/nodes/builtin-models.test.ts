import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_MODELS_DIR } from '../../runtime/models/resolve.js';
import { cosine } from '../../runtime/models/vectors.js';
import { createClassifier, type TextClassifier } from '../../runtime/nodes/classifier.js';
import { createEmbedder, type Embedder } from '../../runtime/nodes/embedder.js';
import { nodeContext } from './helpers.js';

/** Outputs of the reference models, recorded once with their provenance (see its "source"). */
const REFERENCE = JSON.parse(readFileSync(new URL('../fixtures/models/reference-outputs.json', import.meta.url), 'utf8')) as {
  glove: { vocabSha256: string; embeddings: { text: string; vector: number[] }[] };
  vader: { text: string; label: string; positive: number }[];
};

// The committed artefacts of scripts/build-models.ts against the reference models' recorded outputs.
describe('builtin models (committed artefacts of npm run build:models)', () => {
  let builtin: Embedder;
  let vader: TextClassifier;
  beforeAll(async () => {
    const ctx = nodeContext('embedder');
    [builtin, vader] = await Promise.all([createEmbedder({ model: 'builtin:glove-100d' }, ctx), createClassifier({ model: 'builtin:vader-sentiment' }, ctx)]);
  });
  afterAll(async () => {
    await Promise.all([builtin.close(), vader.close()]);
  });

  it('glove-100d gives the README ids and embedding values for "The cat sat on the mat."', async () => {
    const text = 'The cat sat on the mat.';
    expect(builtin.tokenizer.encode(text, 256)).toEqual([2, 5, 5144, 3047, 16, 5, 14139, 7, 3]);
    const [v] = await builtin.embed([text]);
    for (const [i, x] of [-0.05031, 0.01795, 0.11856, -0.1088, -0.04368].entries()) expect(v[i]).toBeCloseTo(x, 4);
  });

  it('glove-100d has the reference vocabulary and near-equal vectors on varied text', async () => {
    const vocab = readFileSync(join(BUILTIN_MODELS_DIR, 'glove-100d', 'vocab.txt'));
    expect(createHash('sha256').update(vocab).digest('hex')).toBe(REFERENCE.glove.vocabSha256);
    const refs = REFERENCE.glove.embeddings;
    const mine = await builtin.embed(refs.map((r) => r.text));
    for (const [i, r] of refs.entries()) {
      const zero = r.vector.every((x) => x === 0);
      if (zero) expect(mine[i].every((x) => x === 0)).toBe(true);
      else expect(cosine(mine[i], Float32Array.from(r.vector))).toBeGreaterThan(0.99999);
      for (let d = 0; d < 100; d++) expect(mine[i][d]).toBeCloseTo(r.vector[d], 5);
    }
  });

  it('glove-100d ranks a paraphrase above an unrelated sentence', async () => {
    const [x, p, u] = await builtin.embed(['A man is playing a guitar.', 'Someone plays an acoustic guitar on stage.', 'The stock market fell sharply today.']);
    expect(cosine(x, p)).toBeGreaterThan(cosine(x, u));
  });

  it('vader-sentiment labels the reference examples as the reference model does', async () => {
    const mine = await vader.classify(REFERENCE.vader.map((r) => r.text));
    expect(mine.map((r) => r.label)).toEqual(['POSITIVE', 'NEGATIVE', 'POSITIVE', 'NEGATIVE']);
    for (const [i, r] of REFERENCE.vader.entries()) {
      expect(mine[i].label).toBe(r.label);
      expect(mine[i].scores.POSITIVE).toBeCloseTo(r.positive, 6);
    }
    expect(vader.labels).toEqual(['NEGATIVE', 'POSITIVE']);
  });
});
