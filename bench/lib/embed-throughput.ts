// Hook for bench/batching (a later issue): what one embedder process can do, split
// into its parts, so a served node can be reported as a ratio of this limit.
import { createEmbedder } from '../../runtime/nodes/embedder.js';
import { seededRandom } from '../../shared/random.js';
import type { Device } from '../../runtime/nodes/types.js';

export interface EmbedThroughput {
  model: string;
  texts: number;
  /** Texts per second through tokenizer.json alone (cache off: every text new). */
  tokenizePerSec: number;
  /** Texts per second through the model alone, per batch size (already tokenised). */
  modelPerSec: Record<number, number>;
  /** Texts per second through embed() (tokenise + model), per batch size, texts never seen before. */
  embedPerSec: Record<number, number>;
  /** embed() again on the same texts: the tokeniser's LRU answers. */
  embedCachedPerSec: Record<number, number>;
}

/** Distinct sentence-like texts, so the tokeniser cache cannot help unless asked to. */
export function sampleTexts(n: number, seed = 1): string[] {
  const words = 'the model serves requests across replicas while the cluster schedules containers and vectors find their nearest neighbours in an index of documents about kubernetes ray and search'.split(' ');
  const rand = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => `${Array.from({ length: 8 + Math.floor(rand() * 12) }, () => words[Math.floor(rand() * words.length)]).join(' ')} ${i}.`);
}

async function perSec(n: number, f: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = performance.now();
  await f();
  return n / ((performance.now() - t0) / 1000);
}

export async function embedThroughput(opts: { model: string; modelsDir: string; texts?: number; batchSizes?: number[]; device?: Device }): Promise<EmbedThroughput> {
  const n = opts.texts ?? 8192;
  const sizes = opts.batchSizes ?? [1, 8, 64];
  const e = await createEmbedder({ model: opts.model }, { modelsDir: opts.modelsDir, device: opts.device ?? { type: 'cpu' } });
  const chunks = (texts: string[], size: number) => Array.from({ length: Math.ceil(texts.length / size) }, (_, i) => texts.slice(i * size, (i + 1) * size));
  let seed = 100;
  const fresh = () => sampleTexts(n, seed++);
  const result: EmbedThroughput = { model: opts.model, texts: n, tokenizePerSec: 0, modelPerSec: {}, embedPerSec: {}, embedCachedPerSec: {} };
  const raw = fresh();
  // Warm-up: JIT and onnxruntime's first-run allocations stay out of the figures.
  for (const t of fresh().slice(0, 1000)) e.tokenizer.tokenizer.encode(t);
  await e.embed(fresh().slice(0, 256));
  result.tokenizePerSec = await perSec(n, () => {
    for (const t of raw) e.tokenizer.tokenizer.encode(t);
  });
  for (const size of sizes) {
    const batches = chunks(fresh(), size).map((c) => e.tokenizer.batch(c, e.maxLength));
    result.modelPerSec[size] = await perSec(n, async () => {
      for (const b of batches) await e.embedTokens(b);
    });
    const texts = fresh();
    result.embedPerSec[size] = await perSec(n, async () => {
      for (const c of chunks(texts, size)) await e.embed(c);
    });
    const again = texts.slice(-Math.min(texts.length, 4096));
    result.embedCachedPerSec[size] = await perSec(again.length, async () => {
      for (const c of chunks(again, size)) await e.embed(c);
    });
  }
  await e.close();
  return result;
}
