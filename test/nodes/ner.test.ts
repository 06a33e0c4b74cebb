import { describe, expect, it } from 'vitest';
import { ner } from '../../runtime/nodes/ner.js';
import { winkEntities } from '../../runtime/text/wink-entities.js';
import { ner as kind } from '../../shared/catalog/ner.js';
import { callContext, nodeContext } from './helpers.js';

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
