import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { preprocessor } from '../../runtime/nodes/preprocessor.js';
import { chunkSpans, chunkText, paragraphSpans, sentenceSpans } from '../../runtime/text/chunk.js';
import { normalizeText } from '../../runtime/text/normalize.js';
import { preprocessor as kind } from '../../shared/catalog/preprocessor.js';
import { callContext, nodeContext } from './helpers.js';

const TEXT = `Kubernetes runs containers. It schedules pods on nodes, e.g. on a cluster of three machines!

Ray is a framework. Dr. Smith wrote about it? Yes.

# Heading without a period
A list item
Final words.`;

describe('sentence and paragraph splitting', () => {
  it('splits sentences on end punctuation and line breaks, not on abbreviations', () => {
    const sentences = sentenceSpans(TEXT).map((s) => TEXT.slice(s.start, s.end));
    expect(sentences).toEqual([
      'Kubernetes runs containers.',
      'It schedules pods on nodes, e.g. on a cluster of three machines!',
      'Ray is a framework.',
      'Dr. Smith wrote about it?',
      'Yes.',
      '# Heading without a period',
      'A list item',
      'Final words.',
    ]);
  });

  it('splits paragraphs on blank lines', () => {
    expect(paragraphSpans(TEXT)).toHaveLength(3);
    expect(TEXT.slice(paragraphSpans(TEXT)[1].start, paragraphSpans(TEXT)[1].end)).toBe('Ray is a framework. Dr. Smith wrote about it? Yes.');
  });
});

describe('chunking', () => {
  it('packs whole sentences up to the size and repeats trailing sentences as overlap', () => {
    const text = 'One two three. Four five six. Seven eight nine. Ten eleven twelve.';
    const chunks = chunkText(text, { mode: 'sentence', size: 32, overlap: 16 }).map((c) => c.text);
    // "Seven eight nine." (17 characters) is longer than the overlap, so it is not repeated.
    expect(chunks).toEqual(['One two three. Four five six.', 'Four five six. Seven eight nine.', 'Ten eleven twelve.']);
  });

  it('cuts a sentence longer than the size into overlapping windows on word boundaries', () => {
    const words = Array.from({ length: 60 }, (_, i) => `w${i}`).join(' ');
    const chunks = chunkText(words, { mode: 'sentence', size: 50, overlap: 10 });
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) {
      expect(c.text.length).toBeLessThanOrEqual(50);
      expect(c.text).toMatch(/^w\d+( w\d+)*$/);
    }
    for (let i = 1; i < chunks.length; i++) expect(chunks[i].start).toBeLessThan(chunks[i - 1].end);
  });

  it('mode none returns the trimmed text as one chunk, and empty text none', () => {
    expect(chunkText('  hello  ', { mode: 'none', size: 100, overlap: 0 }).map((c) => c.text)).toEqual(['hello']);
    expect(chunkText(' \n ', { mode: 'sentence', size: 100, overlap: 0 })).toEqual([]);
  });

  it('refuses an overlap not below the size', () => {
    expect(() => chunkSpans('a. b.', { mode: 'sentence', size: 10, overlap: 10 })).toThrow(/overlap/);
  });

  it('property: chunks are in order, within size, move forward, and cover every sentence', () => {
    const sentence = fc
      .array(fc.stringMatching(/^[a-z]{1,12}$/), { minLength: 1, maxLength: 12 })
      .chain((ws) => fc.constantFrom('.', '!', '?').map((p) => `${ws.join(' ')}${p}`));
    const doc = fc.array(fc.tuple(sentence, fc.constantFrom(' ', '\n', '\n\n')), { minLength: 1, maxLength: 30 }).map((parts) => parts.map(([s, sep]) => s + sep).join(''));
    fc.assert(
      fc.property(doc, fc.integer({ min: 16, max: 200 }), fc.integer({ min: 0, max: 15 }), fc.constantFrom('sentence' as const, 'paragraph' as const), (text, size, overlap, mode) => {
        const chunks = chunkSpans(text, { mode, size, overlap });
        for (const c of chunks) expect(c.end - c.start).toBeLessThanOrEqual(size);
        for (let i = 1; i < chunks.length; i++) {
          expect(chunks[i].start).toBeGreaterThan(chunks[i - 1].start);
          expect(chunks[i].end).toBeGreaterThan(chunks[i - 1].end);
        }
        // Every non-space character lies in some chunk.
        for (let p = 0; p < text.length; p++) {
          if (/\s/.test(text[p])) continue;
          expect(chunks.some((c) => c.start <= p && p < c.end)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('normalisation', () => {
  it('applies NFKC, case and whitespace in that order', () => {
    expect(normalizeText('ﬁle  Ｋｕｂｅｒｎｅｔｅｓ\t\n①', { normalize: 'NFKC', lowercase: true })).toBe('file kubernetes 1');
    expect(normalizeText('ﬁle', { normalize: 'NFC' })).toBe('ﬁle');
    expect(normalizeText(' a \n b ', { normalize: 'none', collapseWhitespace: false })).toBe(' a \n b ');
  });
});

describe('preprocessor node', () => {
  it('normalises and chunks by paragraph through the node interface', async () => {
    const config = kind.config.parse({ lowercase: true, chunking: 'paragraph', chunkSize: 25, chunkOverlap: 0 });
    const node = await preprocessor.setup(config, nodeContext('preprocessor'));
    const out = await node.call({ text: 'Ｆirst   paragraph here.\n\nSecond\tone.' }, callContext());
    expect(out).toEqual({ text: 'first paragraph here. second one.', chunks: ['first paragraph here.', 'second one.'] });
  });

  it('rejects a non-string input naming the field', async () => {
    const node = await preprocessor.setup(kind.config.parse({}), nodeContext('preprocessor'));
    await expect(node.call({ text: 42 }, callContext())).rejects.toMatchObject({ name: 'NodeInputError', path: 'text' });
  });
});
