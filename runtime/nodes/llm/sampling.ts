import { seededRandom } from '../../../shared/random.js';

export { seededRandom };

export interface SamplingOptions {
  /** 0 = greedy. */
  temperature: number;
  /** 0 = off. */
  topK: number;
  /** 1 = off. */
  topP: number;
}

export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** The next token id: argmax at temperature 0, else temperature, top-k and top-p sampling. */
export function pickToken(logits: ArrayLike<number>, o: SamplingOptions, random: () => number): number {
  if (o.temperature <= 0) return argmax(logits);
  let ids = Array.from({ length: logits.length }, (_, i) => i).sort((a, b) => logits[b] - logits[a]);
  if (o.topK > 0) ids = ids.slice(0, o.topK);
  const max = logits[ids[0]];
  let probs = ids.map((i) => Math.exp((logits[i] - max) / o.temperature));
  let sum = probs.reduce((a, b) => a + b, 0);
  probs = probs.map((p) => p / sum);
  if (o.topP < 1) {
    let mass = 0;
    let keep = 0;
    while (keep < probs.length && mass < o.topP) mass += probs[keep++];
    ids = ids.slice(0, Math.max(1, keep));
    probs = probs.slice(0, ids.length);
    sum = probs.reduce((a, b) => a + b, 0);
    probs = probs.map((p) => p / sum);
  }
  let r = random();
  for (let k = 0; k < ids.length; k++) {
    r -= probs[k];
    if (r <= 0) return ids[k];
  }
  return ids[ids.length - 1];
}
