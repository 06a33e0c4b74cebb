import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llm } from '../../runtime/nodes/llm.js';
import { definitionTest, splitSentences } from '../../runtime/nodes/llm/extractive.js';
import type { NodeInstance } from '../../runtime/nodes/types.js';
import { callContext, nodeContext } from './helpers.js';

const DOCS = [
  {
    id: 'ray.md#0',
    source: 'ray.md',
    chunk: 0,
    score: 0.71,
    text: '# Ray\n\nRay is a framework for scaling Python applications across a cluster. Ray Serve builds model serving on top of Ray actors. Deployments scale with replicas.',
  },
  {
    id: 'kubernetes.md#0',
    source: 'kubernetes.md',
    chunk: 0,
    score: 0.64,
    text: '# Kubernetes\n\nKubernetes is an open-source system for automating the deployment, scaling and management of containerized applications. It groups containers into pods and schedules them onto nodes. The control plane keeps the cluster in its desired state.',
  },
  {
    id: 'vectors.md#0',
    source: 'vectors.md',
    chunk: 0,
    score: 0.52,
    text: 'Vector search finds the nearest neighbours of a query embedding. Exact search scans every vector; approximate indexes trade recall for speed.',
  },
];

describe('extractive llm backend (not a language model)', () => {
  let node: NodeInstance;
  beforeAll(async () => {
    node = await llm.setup({ backend: 'extractive', maxSentences: 2 } as never, nodeContext('llm'));
  });
  afterAll(() => node.close?.());

  it('splits markdown into sentences and drops headings', () => {
    expect(splitSentences(DOCS[1].text)).toEqual([
      'Kubernetes is an open-source system for automating the deployment, scaling and management of containerized applications.',
      'It groups containers into pods and schedules them onto nodes.',
      'The control plane keeps the cluster in its desired state.',
    ]);
  });

  it('recognises "What is X?" questions and the sentences that define X', () => {
    const t = definitionTest('What is Kubernetes?')!;
    expect(t('Kubernetes is an open-source system.')).toBe(true);
    expect(t('The reconcile loop is why Kubernetes heals itself.')).toBe(false);
    expect(definitionTest('What are vector databases')!('Vector databases are stores of embeddings.')).toBe(true);
    expect(definitionTest('How does Ray scale?')).toBeUndefined();
    expect(definitionTest('What is a (weird) [regex]?')!('A (weird) [regex] is fine.')).toBe(true);
  });

  it('answers "What is Kubernetes?" from the documents with the right source, streaming sentences', async () => {
    const tokens: string[] = [];
    const out = await node.call({ prompt: 'What is Kubernetes?', context: DOCS }, callContext((t) => tokens.push(t)));
    const result = out.result as { answer: string; sources: { source: string; score: number }[]; backend: string };
    expect(result.backend).toBe('extractive');
    expect(result.answer).toContain('Kubernetes is an open-source system');
    expect(result.sources[0].source).toBe('kubernetes.md');
    expect(tokens.length).toBe(2);
    expect(tokens.join('')).toBe(result.answer);
    expect(out.text).toBe(result.answer);
  });

  it('picks by meaning: a Ray question gets the Ray sentences in document order', async () => {
    const out = await node.call({ prompt: 'How does Ray Serve scale model serving?', context: DOCS }, callContext());
    const result = out.result as { answer: string; sources: { source: string }[] };
    expect(result.sources[0].source).toBe('ray.md');
    const a = result.answer.indexOf('Ray is a framework');
    const b = result.answer.indexOf('Ray Serve builds');
    expect(Math.min(a, b)).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThan(b);
  });

  it('says so when there is no context, and refuses a bad context naming its path', async () => {
    const lines = await node.call({ prompt: 'Invoice total', context: [{ text: 'INVOICE' }, { text: 'Total: $1,234.00' }] }, callContext());
    expect((lines.result as { answer: string }).answer).toBe('INVOICE Total: $1,234.00');
    const out = await node.call({ prompt: 'What is Kubernetes?' }, callContext());
    expect((out.result as { answer: string }).answer).toMatch(/no sentences/);
    await expect(node.call({ prompt: 'x', context: [{ text: 'ok sentence here.' }, { body: 1 }] }, callContext())).rejects.toMatchObject({ name: 'NodeInputError', path: 'context[1].text' });
    await expect(node.call({ prompt: 3 }, callContext())).rejects.toMatchObject({ path: 'prompt' });
  });
});
