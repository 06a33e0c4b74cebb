import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { exportGraph } from '../../runtime/export/export.js';
import { writeExport } from '../../runtime/export/write.js';
import { inputNode, splitNode, switchNode } from '../../runtime/dataplane/inline/index.js';
import { bioSpans, splitWords } from '../../runtime/text/onnx-entities.js';
import { imageBytes } from '../../runtime/vision/image-input.js';
import { definitionTest, splitSentences } from '../../runtime/nodes/llm/extractive.js';
import { pickToken, seededRandom } from '../../runtime/nodes/llm/sampling.js';
import { preprocessor } from '../../runtime/nodes/preprocessor.js';
import type { NodeContext } from '../../runtime/nodes/types.js';
import { Bm25 } from '../../runtime/retrieval/bm25.js';
import type { PlanNode } from '../../shared/plan.js';
import { FIXTURES, ROOT, removeTempDirs, tempDir } from './helpers.js';

/**
 * The exported Python and the TypeScript nodes on the same inputs: the parts that
 * run without model libraries (text normalisation and chunking, BM25, sentence
 * splitting, seeded sampling, switch, input checks) must give the same results.
 */

const docs = readdirSync(join(ROOT, 'examples/rag/docs')).map((f) => readFileSync(join(ROOT, 'examples/rag/docs', f), 'utf8'));
// ASCII text with the separators chunking cares about; astral characters differ by design (UTF-16 vs code points).
const texts = fc.sample(fc.array(fc.constantFrom('Word', 'e.g.', 'Dr.', 'ends.', 'Why?', 'Yes!', ' ', '  ', '\n', '\n\n', '\t', 'x'.repeat(40), '"quoted."', 'A', '1.'), { maxLength: 60 }).map((a) => a.join('')), { numRuns: 60, seed: 7 });

const ctx = { log: () => {} } as unknown as NodeContext;
const planNode = (config: Record<string, unknown>, incoming = 1) => ({ id: 'n', config, incoming: Array(incoming).fill({}) }) as unknown as PlanNode;

async function tsCall(run: () => Promise<unknown> | unknown) {
  try {
    return await run();
  } catch (e) {
    return { error: (e as Error).message, path: (e as { path?: string }).path };
  }
}

describe('exported Python nodes behave like the TypeScript nodes', () => {
  afterAll(removeTempDirs);

  it('on the same inputs', async () => {
    const configs = [
      { normalize: 'NFKC', lowercase: false, collapseWhitespace: true, chunking: 'none', chunkSize: 512, chunkOverlap: 64 },
      { normalize: 'NFC', lowercase: true, collapseWhitespace: true, chunking: 'sentence', chunkSize: 120, chunkOverlap: 30 },
      { normalize: 'NFKC', lowercase: false, collapseWhitespace: false, chunking: 'paragraph', chunkSize: 200, chunkOverlap: 0 },
      { normalize: 'none', lowercase: false, collapseWhitespace: true, chunking: 'sentence', chunkSize: 16, chunkOverlap: 8 },
    ] as const;
    const preprocess = [...docs, ...texts, 'ﬁne ＡＢＣ  e.g. this.  Next one!\n\nPara two.'].flatMap((text) => configs.map((config) => ({ text, config })));
    const bm25 = [
      { texts: docs, query: 'How does Kubernetes autoscaling work?' },
      { texts: docs, query: 'onnx GPU batching' },
      { texts: ['a b c', 'b c d', ''], query: 'b d d' },
    ];
    const sentences = [...docs, ...texts];
    const definition = [
      { question: 'What is Ray Serve?', sentences: ['Ray Serve is a library.', 'The Ray Serve is old.', 'It is Ray Serve.'] },
      { question: 'who are the founders', sentences: ['The founders are two.', 'founders were here'] },
      { question: 'How big?', sentences: ['Big is big.'] },
    ];
    const logits = Array.from({ length: 50 }, (_, i) => Math.sin(i * 1.7) * 3);
    const tokens = [
      { logits, config: { temperature: 0, topK: 0, topP: 1 }, seed: 1, n: 3 },
      { logits, config: { temperature: 0.8, topK: 0, topP: 1 }, seed: 42, n: 20 },
      { logits, config: { temperature: 1.2, topK: 5, topP: 1 }, seed: 7, n: 20 },
      { logits, config: { temperature: 0.7, topK: 0, topP: 0.6 }, seed: 99, n: 20 },
    ];
    const sw = { path: 'result.label', cases: [{ port: 'pos', equals: 'POSITIVE' }, { port: 'one', equals: 1 }, { port: 'yes', equals: true }] };
    const switchCases = [
      { config: sw, value: { result: { label: 'POSITIVE' } } },
      { config: sw, value: { result: { label: 1 } } },
      { config: sw, value: { result: { label: true } } },
      { config: sw, value: { result: { label: 'true' } } },
      { config: sw, value: { result: 'x' } },
      { config: { path: 'items.1', cases: [{ port: 'b', equals: 'b' }] }, value: { items: ['a', 'b'] } },
      { config: { path: '', cases: [{ port: 'hi', equals: 'hello' }] }, value: 'hello' },
    ];
    const fields = { query: 'text', k: 'vector', docs: 'documents', img: 'image', 'odd-name': 'json' };
    const inputCases = [
      { fields, body: { query: 'q', k: [1, 2], docs: [{}], img: 'aGk=', 'odd-name': null } },
      { fields, body: { query: 1, k: [1], docs: [], img: 'x', 'odd-name': 1 } },
      { fields, body: { query: 'q', k: [1, 'a'], docs: [], img: 'x', 'odd-name': 1 } },
      { fields, body: { query: 'q', k: [1], docs: [], img: '', 'odd-name': 1 } },
      { fields, body: { query: 'q', k: [1], docs: [], img: 'x' } },
      { fields, body: [1, 2] },
      { fields: {}, body: 'text' },
      // Size bounds: characters as UTF-16 units (the emoji is two), items, and the total of a texts field.
      { fields, limits: { maxTextChars: 3 }, body: { query: '👍👍', k: [1], docs: [], img: 'x', 'odd-name': 1 } },
      { fields, limits: { maxTextChars: 4 }, body: { query: '👍👍', k: [1], docs: [], img: 'x', 'odd-name': [1, 2, 3] } },
      { fields, limits: { maxItems: 2 }, body: { query: 'q', k: [1, 2, 3], docs: [], img: 'x', 'odd-name': 1 } },
      { fields: { t: 'texts' }, limits: { maxTotalChars: 5 }, body: { t: ['abc', 'def'] } },
    ];
    const dataDir = tempDir('parity-data');
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(60, 7)]);
    writeFileSync(join(dataDir, 'scan.png'), png);
    writeFileSync(join(dataDir, 'notes.txt'), 'not an image at all');
    const image = [
      `data:image/png;base64,${png.toString('base64')}`,
      `data:image/png,${png.toString('base64')}`,
      png.toString('base64'),
      png.toString('base64url'),
      Buffer.alloc(80, 1).toString('base64'),
      'scan.png',
      'notes.txt',
      'missing.png',
      '../outside.png',
      '',
    ];
    // Word offsets are compared inside the BMP; past it the node converts its output offsets to UTF-16 units.
    const words = [...texts.slice(0, 20), 'Cafe\u0301 déjà-vu, 3.14 ½ 東京 snake_case e-mail@x.org', ''];
    const bioText = 'Ann Lee met Bob in New York on 5 May';
    const bioWords = splitWords(bioText);
    const bio = [
      ['B-PER', 'I-PER', 'O', 'B-PER', 'O', 'B-LOC', 'I-LOC', 'O', 'B-DATE', 'I-DATE'],
      ['PER', 'PER', 'O', 'S-PER', 'O', 'B-LOC', 'E-LOC', 'O', 'I-DATE', 'I-DATE'],
      ['I-PER', 'B-PER', 'O', 'O', 'O', 'B_LOC', 'I_LOC', 'O', 'B-DATE', 'I-MISC'],
    ].map((tags, k) => ({ text: bioText, words: bioWords.map((w) => [w.start, w.end]), tags, scores: tags.map((_, i) => 0.5 + ((i * 7 + k) % 5) / 10) }));
    const emoji = 'Mail 👍🏽 ann@example.com at 5 pm';
    // Sticky keys by header and by body path, ASCII and beyond, over three weighted branches.
    const branches = [{ port: 'a', weight: 5 }, { port: 'b', weight: 3 }, { port: 'c', weight: 2 }];
    const keys = [...Array.from({ length: 60 }, (_, i) => `user-${i}`), 'Zoë', '東京', '👍🏽', 'a'.repeat(300)];
    const splitCases = [
      ...keys.map((k) => ({ config: { branches, sticky: { header: 'X-User' } }, body: {}, headers: { 'x-user': k } })),
      ...keys.map((k) => ({ config: { branches, sticky: { path: 'who.id' } }, body: { who: { id: k } }, headers: {} })),
      ...[12, true, 4.0].map((id) => ({ config: { branches, sticky: { path: 'who.id' } }, body: { who: { id } }, headers: {} })),
    ];
    const cases = { emoji, words, bio, preprocess, bm25, sentences, definition, tokens, switch: switchCases, split: splitCases, input: inputCases, image, dataDir };

    const r = exportGraph(readFileSync(join(FIXTURES, 'graphs/switch.json'), 'utf8'), { target: 'serve-config' });
    const dir = tempDir('parity');
    writeExport(dir, r, { modelsDir: dir, dataDir: dir, copyAssets: false });
    // The switch graph lacks the llm, retriever, ocr and split modules: add them from the examples' and the split graph's exports.
    for (const example of ['rag', 'document-analysis']) {
      const more = exportGraph(readFileSync(join(ROOT, `examples/${example}/graph.json`), 'utf8'), { target: 'serve-config' });
      writeExport(dir, more, { modelsDir: dir, dataDir: dir, copyAssets: false });
    }
    writeExport(dir, exportGraph(readFileSync(join(FIXTURES, 'graphs/split.json'), 'utf8'), { target: 'serve-config' }), { modelsDir: dir, dataDir: dir, copyAssets: false });
    const file = join(dir, 'cases.json');
    writeFileSync(file, JSON.stringify(cases));
    const py = JSON.parse(execFileSync('python3', [join(FIXTURES, 'parity.py'), join(dir, 'app'), file], { encoding: 'utf8', maxBuffer: 64 << 20 }));

    const node = await preprocessor.setup as unknown as (c: unknown, x: NodeContext) => Promise<{ call: (i: unknown, c: unknown) => Promise<unknown> }>;
    const tsPre = [];
    for (const c of preprocess) tsPre.push(await tsCall(async () => (await node(c.config, ctx)).call({ text: c.text }, {})));
    expect(py.preprocess).toEqual(tsPre);

    expect(py.bm25).toEqual(bm25.map((c) => Array.from(new Bm25(c.texts).scores(c.query), (x) => Math.round(x * 1e5) / 1e5)));
    expect(py.sentences).toEqual(sentences.map((t) => splitSentences(t)));
    expect(py.short).toEqual(sentences.map((t) => splitSentences(t, 1)));
    expect(py.definition).toEqual(definition.map((c) => c.sentences.map((s) => definitionTest(c.question)?.(s) ?? null)));
    expect(py.tokens).toEqual(tokens.map((c) => {
      const random = seededRandom(c.seed);
      return Array.from({ length: c.n }, () => pickToken(c.logits, c.config, random));
    }));
    expect(py.split).toEqual(splitCases.map((c) => Object.keys(splitNode(planNode(c.config), { in: 1 }, c.body, c.headers))[0]));
    expect(py.switch).toEqual(await Promise.all(switchCases.map((c) => tsCall(() => switchNode(planNode(c.config), { in: c.value }, undefined)))));
    const tsInput = inputCases.map((c) => {
      try {
        return inputNode(planNode({ fields: c.fields, ...c.limits }), {}, c.body);
      } catch (e) {
        return { error: (e as Error).message, path: (e as { extra?: { path?: string } }).extra?.path };
      }
    });
    expect(py.input).toEqual(tsInput);
    // An entity after an emoji: the Python node reports JavaScript (UTF-16) offsets, so slicing in JS finds it.
    const mail = (py.emoji as { start: number; end: number; type: string }[]).find((e) => e.type === 'EMAIL')!;
    expect(emoji.slice(mail.start, mail.end)).toBe('ann@example.com');
    expect(py.words).toEqual(words.map((t) => splitWords(t).map((w) => [w.start, w.end])));
    expect(py.bio).toEqual(bio.map((c) => bioSpans(c.text, c.words.map(([start, end]) => ({ start, end })), c.tags, c.scores)));
    expect(py.image).toEqual(
      image.map((v) => {
        try {
          return { bytes: imageBytes(v, dataDir).length };
        } catch (e) {
          return { error: (e as Error).message, path: (e as { path?: string }).path };
        }
      }),
    );
  });
});
