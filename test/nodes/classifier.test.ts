import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifier, createClassifier, type TextClassifier } from '../../runtime/nodes/classifier.js';
import type { NodeInstance } from '../../runtime/nodes/types.js';
import { callContext, nodeContext, MODELS } from './helpers.js';

// Examples and expected compounds from the README of the reference VADER model (vader-sentiment-classifier);
// models/vader-sentiment is built from the same lexicon (models/README.md).
const POSITIVE = 'I love this movie, it is wonderful and fun.';
const NEGATIVE = 'This is a terrible, awful, boring film.';
const MODEL = 'vader-sentiment';

/** The model's logits are [-c, c], so P(POSITIVE) = sigmoid(2c) and c = atanh(2p - 1). */
const compoundOf = (pPositive: number) => Math.atanh(2 * pPositive - 1);

describe('classifier on the reference VADER model', () => {
  let c: TextClassifier;
  let node: NodeInstance;
  beforeAll(async () => {
    c = await createClassifier({ model: MODEL }, nodeContext('classifier'));
    node = await classifier.setup({ model: MODEL, maxLength: 256 }, nodeContext('classifier'));
  });
  afterAll(async () => {
    await c.close();
    await node.close?.();
  });

  it('reads labels from config.json id2label', () => {
    expect(c.labels).toEqual(['NEGATIVE', 'POSITIVE']);
  });

  it('labels the README examples with their compound scores', async () => {
    const [pos, neg] = await c.classify([POSITIVE, NEGATIVE]);
    expect(pos.label).toBe('POSITIVE');
    expect(neg.label).toBe('NEGATIVE');
    expect(compoundOf(pos.scores.POSITIVE)).toBeCloseTo(0.904, 3);
    expect(compoundOf(neg.scores.POSITIVE)).toBeCloseTo(-0.813, 3);
    expect(pos.scores.POSITIVE + pos.scores.NEGATIVE).toBeCloseTo(1, 6);
    expect(pos.score).toBe(pos.scores.POSITIVE);
  });

  it('node outputs result and label; batch equals call; a bad item fails alone', async () => {
    const out = await node.call({ text: NEGATIVE }, callContext());
    expect(out.label).toBe('NEGATIVE');
    const items = [{ text: POSITIVE }, {}, { text: NEGATIVE }];
    const res = await node.batch!(items, items.map(() => callContext()));
    expect(res[1]).toBeInstanceOf(Error);
    expect((res[0] as Record<string, unknown>).label).toBe('POSITIVE');
    expect((res[2] as Record<string, { score: number }>).result.score).toBeCloseTo((out.result as { score: number }).score, 6);
  });

  it('config.labels overrides id2label, and a wrong count names the field', async () => {
    const own = await createClassifier({ model: MODEL, labels: ['bad', 'good'] }, nodeContext('classifier'));
    expect((await own.classify([POSITIVE]))[0].label).toBe('good');
    await own.close();
    await expect(createClassifier({ model: MODEL, labels: ['one'] }, nodeContext('classifier'))).rejects.toThrow(/config\.labels/);
  });

  it('scores each label with a sigmoid when config.json says multi-label', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'beamline-multilabel-'));
    const folder = join(dir, 'multi');
    mkdirSync(folder);
    for (const f of ['model.onnx', 'tokenizer.json', 'tokenizer_config.json']) symlinkSync(join(MODELS, MODEL, f), join(folder, f));
    writeFileSync(join(folder, 'config.json'), JSON.stringify({ id2label: { 0: 'sad', 1: 'happy' }, problem_type: 'multi_label_classification' }));
    const multi = await createClassifier({ model: 'multi' }, nodeContext('classifier', dir));
    const [r] = await multi.classify([POSITIVE]);
    await multi.close();
    rmSync(dir, { recursive: true, force: true });
    expect(r.label).toBe('happy');
    // logits [-c, c] with c = 0.904: sigmoid(c) = 0.712 each way, where softmax would give sigmoid(2c) = 0.859.
    expect(r.scores.happy).toBeCloseTo(1 / (1 + Math.exp(-0.904)), 3);
    expect(r.scores.sad).toBeCloseTo(1 / (1 + Math.exp(0.904)), 3);
  });
});
