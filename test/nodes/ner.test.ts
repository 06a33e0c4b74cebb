import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ner } from '../../runtime/nodes/ner.js';
import { bioSpans, splitWords } from '../../runtime/text/onnx-entities.js';
import { winkEntities } from '../../runtime/text/wink-entities.js';
import { DataType, encodeModel, floats } from '../../scripts/models/onnx-proto.js';
import { ner as kind } from '../../shared/catalog/ner.js';
import { callContext, nodeContext, MODELS } from './helpers.js';

const SENTENCE = 'Please pay $1,234.56 to billing@acme.com by March 14, 2025 at 5pm; a 20% discount applies, see https://acme.com/pay.';

type Ent = { value: string; type: string; start: number; end: number };

describe('ner node (wink backend)', () => {
  it('extracts money, date, email, time, percent and URL with exact character spans', async () => {
    const node = await ner.setup(kind.config.parse({}), nodeContext('ner'));
    const { entities } = (await node.call({ text: SENTENCE }, callContext())) as { entities: Ent[] };
    const byType = Object.fromEntries(entities.map((e) => [e.type, e.value]));
    expect(byType).toMatchObject({
      MONEY: '$1,234.56',
      EMAIL: 'billing@acme.com',
      DATE: 'March 14, 2025',
      TIME: '5pm',
      PERCENT: '20%',
      URL: 'https://acme.com/pay',
    });
    for (const e of entities) expect(SENTENCE.slice(e.start, e.end)).toBe(e.value);
  });

  it('keeps only the configured types', async () => {
    const node = await ner.setup(kind.config.parse({ types: ['money', 'EMAIL'] }), nodeContext('ner'));
    const { entities } = (await node.call({ text: SENTENCE }, callContext())) as { entities: Ent[] };
    expect(entities.map((e) => e.type)).toEqual(['MONEY', 'EMAIL']);
  });

  it('finds entities across the lines of OCR text', () => {
    const text = 'INVOICE #1042\nDate: March 14, 2025\nTotal due: $1,234.56';
    const ents = winkEntities(text);
    expect(ents).toContainEqual({ value: 'March 14, 2025', type: 'DATE', start: 20, end: 34 });
    expect(ents).toContainEqual({ value: '$1,234.56', type: 'MONEY', start: text.indexOf('$'), end: text.length });
  });

  it('returns no entities for plain text and an input error for a non-string', async () => {
    const node = await ner.setup(kind.config.parse({}), nodeContext('ner'));
    expect(await node.call({ text: 'the cat sat on the mat' }, callContext())).toEqual({ entities: [] });
    await expect(node.call({ text: null }, callContext())).rejects.toMatchObject({ name: 'NodeInputError', path: 'text' });
  });
});

describe('ner node (onnx token-classification backend)', () => {
  // No token-classification model ships with the project, so the test builds a real
  // ONNX graph (Gather of a [vocab, labels] logit table) over the reference GloVe
  // tokenizer: the weights are hand-set, the tokenisation, onnxruntime session,
  // id2label and BIO decoding are the node's own.
  const LABELS = ['O', 'B-ORG', 'I-ORG', 'B-DATE', 'I-DATE'];
  const TAGGED: Record<string, string> = { general: 'B-ORG', motors: 'I-ORG', corporation: 'I-ORG', early: 'B-DATE', june: 'I-DATE' };
  let models: string;

  beforeAll(() => {
    models = mkdtempSync(join(tmpdir(), 'beamline-ner-'));
    const dir = join(models, 'toy-ner');
    mkdirSync(dir);
    const src = join(MODELS, 'glove-100d');
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(src, f), join(dir, f));
    const vocab = readFileSync(join(src, 'vocab.txt'), 'utf8').split('\n');
    const table = new Float32Array(vocab.length * LABELS.length);
    vocab.forEach((word, id) => {
      const label = LABELS.indexOf(TAGGED[word] ?? 'O');
      table[id * LABELS.length + label] = 4;
    });
    writeFileSync(
      join(dir, 'model.onnx'),
      encodeModel({
        name: 'toy_token_classifier',
        doc: 'test fixture',
        inputs: [{ name: 'input_ids', type: DataType.INT64, shape: ['batch', 'seq'] }],
        outputs: [{ name: 'logits', type: DataType.FLOAT, shape: ['batch', 'seq', LABELS.length] }],
        initializers: [floats('table', [vocab.length, LABELS.length], table)],
        nodes: [{ op: 'Gather', inputs: ['table', 'input_ids'], outputs: ['logits'], attrs: { axis: 0 } }],
      }),
    );
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ id2label: Object.fromEntries(LABELS.map((l, i) => [String(i), l])) }));
  });
  afterAll(() => rmSync(models, { recursive: true, force: true }));

  it('turns BIO tags of words into entity spans with character offsets and scores', async () => {
    const node = await ner.setup(kind.config.parse({ backend: 'onnx', model: 'toy-ner' }), nodeContext('ner', models));
    // "Globex" is not in the vocabulary: one [UNK] token, tagged O.
    const text = 'Globex and General Motors Corporation will pay in early June, not June next year.';
    const { entities } = (await node.call({ text }, callContext())) as { entities: (Ent & { score: number })[] };
    const span = (value: string, type: string, from = 0) => ({ value, type, start: text.indexOf(value, from), end: text.indexOf(value, from) + value.length });
    expect(entities.map(({ value, type, start, end }) => ({ value, type, start, end }))).toEqual([
      span('General Motors Corporation', 'ORG'),
      span('early June', 'DATE'),
      // An I- tag with nothing open starts an entity of its own.
      span('June', 'DATE', text.indexOf('not')),
    ]);
    for (const e of entities) {
      expect(text.slice(e.start, e.end)).toBe(e.value);
      expect(e.score).toBeGreaterThan(0.9);
    }
    await node.close?.();
  });

  it('refuses the onnx backend without a model, or with a folder outside the models directory', async () => {
    await expect(ner.setup(kind.config.parse({ backend: 'onnx' }), nodeContext('ner', models))).rejects.toThrow(/config.model: the onnx backend needs/);
    await expect(ner.setup(kind.config.parse({ backend: 'onnx', model: '../x' }), nodeContext('ner', models))).rejects.toThrow(/config.model/);
  });

  it('splits words like a BERT pre-tokeniser and decodes BIOES tags', () => {
    const text = 'Pay $5, now.';
    expect(splitWords(text).map((w) => text.slice(w.start, w.end))).toEqual(['Pay', '$', '5', ',', 'now', '.']);
    const words = splitWords('New York City hall');
    expect(bioSpans('New York City hall', words, ['B-LOC', 'I-LOC', 'E-LOC', 'O'], [1, 1, 1, 1]).map((e) => e.value)).toEqual(['New York City']);
    expect(bioSpans('a b', splitWords('a b'), ['B-X', 'B-X'], [1, 1]).map((e) => e.value)).toEqual(['a', 'b']);
  });
});
