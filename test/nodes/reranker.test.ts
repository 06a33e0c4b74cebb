import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reranker } from '../../runtime/nodes/reranker.js';
import type { NodeInstance } from '../../runtime/nodes/types.js';
import { callContext, nodeContext } from './helpers.js';

type Doc = { id: string; text: string; source: string; chunk: number; score: number; retrievalScore?: number };
const doc = (id: string, text: string, score: number): Doc => ({ id, text, source: `${id}.md`, chunk: 0, score });

const DOCS = [
  doc('stocks', 'The stock market fell sharply today as investors sold shares.', 0.9),
  doc('guitar', 'Someone plays an acoustic guitar on stage.', 0.2),
  doc('weather', 'Heavy rain and strong wind are expected tomorrow.', 0.5),
];

describe('reranker', () => {
  let cosineNode: NodeInstance;
  beforeAll(async () => {
    cosineNode = await reranker.setup({ mode: 'cosine', model: 'glove-100d', topK: 2, maxLength: 256 }, nodeContext('reranker'));
  });
  afterAll(() => cosineNode.close?.());

  it('cosine mode re-scores by meaning, keeps topK and the retrieval score', async () => {
    const out = await cosineNode.call({ query: 'A man is playing a guitar.', documents: DOCS }, callContext());
    const docs = out.documents as Doc[];
    expect(docs.length).toBe(2);
    expect(docs[0].id).toBe('guitar');
    expect(docs[0].retrievalScore).toBe(0.2);
    expect(docs[0].score).toBeGreaterThan(docs[1].score);
    expect(docs[0].source).toBe('guitar.md');
  });

  it('batch() equals call() per item and a bad item fails only itself', async () => {
    const items = [
      { query: 'A man is playing a guitar.', documents: DOCS },
      { query: 'rain', documents: [{ id: 'x' }] },
      { query: 'Shares dropped on the markets.', documents: DOCS },
    ];
    const res = await cosineNode.batch!(items, items.map(() => callContext()));
    expect(res[1]).toBeInstanceOf(Error);
    expect((res[1] as Error & { path?: string }).path).toBe('documents[0].text');
    for (const i of [0, 2]) {
      const single = (await cosineNode.call(items[i], callContext())).documents as Doc[];
      const got = (res[i] as { documents: Doc[] }).documents;
      expect(got.map((d) => d.id)).toEqual(single.map((d) => d.id));
      got.forEach((d, k) => {
        expect(d.score).toBeCloseTo(single[k].score, 6);
      });
    }
    expect(((res[2] as { documents: Doc[] }).documents)[0].id).toBe('stocks');
  });

  it('cosine mode on builtin:use-lite (the sentence encoder) ranks a paraphrase above a sentence that only shares words', async () => {
    const docs = [doc('office', 'It is going to be a long day tomorrow at the office.', 0.9), doc('umbrella', 'Bring an umbrella: showers are forecast for the morning.', 0.4), doc('prices', 'Prices rose last year.', 0.1)];
    const query = { query: 'Is it going to rain tomorrow?', documents: docs };
    const glove = (await cosineNode.call(query, callContext())).documents as Doc[];
    expect(glove[0].id).toBe('office');
    const node = await reranker.setup({ mode: 'cosine', model: 'builtin:use-lite', topK: 3, maxLength: 256 }, nodeContext('reranker'));
    const out = (await node.call(query, callContext())).documents as Doc[];
    expect(out.map((d) => d.id)).toEqual(['umbrella', 'office', 'prices']);
    expect(out[0].retrievalScore).toBe(0.4);
    await node.close?.();
  });

  it('cross-encoder mode scores (query, document) pairs with an ONNX sequence classifier', async () => {
    // The VADER classifier reads the pair as one text: its POSITIVE probability rises with the document's valence.
    const node = await reranker.setup({ mode: 'cross-encoder', model: 'vader-sentiment', topK: 3, maxLength: 256 }, nodeContext('reranker'));
    const docs = [doc('bad', 'A terrible, awful, boring film.', 0.9), doc('flat', 'A film about trains.', 0.8), doc('good', 'A wonderful, fun and lovely film.', 0.1)];
    const out = (await node.call({ query: 'Which film is good?', documents: docs }, callContext())).documents as Doc[];
    expect(out.map((d) => d.id)).toEqual(['good', 'flat', 'bad']);
    for (const d of out) expect(d.score).toBeGreaterThan(0);
    await node.close?.();
  });
});
