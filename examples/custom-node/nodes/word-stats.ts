// A node kind of your own: `beamline serve <graph> --nodes examples/custom-node/nodes/word-stats.ts`
// registers "word-stats" in the catalog, so it shows in GET /api/catalog and in the
// editor's palette, gets a config form from its zod schema, and runs in replicas.
// 'beamline' resolves to runtime/index.ts through package.json "exports", here and in your own project.
import { defineNode, z } from 'beamline';

const STOP_WORDS = new Set('a an and are as at be but by for from has have in is it its of on or that the this to was were will with'.split(' '));

export const wordStats = defineNode({
  kind: 'word-stats',
  title: 'Word statistics',
  description: 'Counts words and sentences, estimates reading time and lists the most frequent words.',
  category: 'text',
  docs: 'A custom kind written with defineNode() in examples/custom-node/nodes/word-stats.ts.',
  config: z
    .object({
      top: z.number().int().min(1).max(50).default(5).describe('How many frequent words to list.'),
      wordsPerMinute: z.number().min(50).max(1000).default(230).describe('Reading speed for the time estimate.'),
      skipStopWords: z.boolean().default(true).describe('Leave out words such as "the" and "of" from the frequent words.'),
    })
    .strict(),
  inputs: [{ name: 'text', type: 'text', required: true, description: 'Text to measure.' }],
  outputs: [{ name: 'stats', type: 'json', description: '{words, sentences, readingSeconds, top: [{word, count}]}' }],
  deployment: { resources: { cpus: 0.25 } },
  // Runs once per replica; what it returns reaches call() as `state`.
  setup: (config) => ({ stop: config.skipStopWords ? STOP_WORDS : new Set<string>() }),
  call(inputs, { state, config }) {
    const text = inputs.text;
    if (typeof text !== 'string') throw new Error('input "text" must be a string');
    const words = text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
    const counts = new Map<string, number>();
    for (const w of words) if (!state.stop.has(w)) counts.set(w, (counts.get(w) ?? 0) + 1);
    const top = [...counts]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, config.top)
      .map(([word, count]) => ({ word, count }));
    return {
      stats: {
        words: words.length,
        sentences: text.split(/[.!?]+(?:\s|$)/).filter((s) => s.trim()).length,
        readingSeconds: Math.round((words.length / config.wordsPerMinute) * 60),
        top,
      },
    };
  },
});

export default wordStats;
