import { NodeInputError, type NodeInputs } from '../nodes/types.js';

/** A required string input, or a 400-style error naming the field. */
export function textInput(inputs: NodeInputs, field = 'text'): string {
  const v = inputs[field];
  if (typeof v !== 'string') throw new NodeInputError(`input "${field}" must be a string, got ${v === null ? 'null' : typeof v}`, field);
  return v;
}

/**
 * Runs a batch of valid items in one go and gives bad items their own error.
 * When the shared run itself fails, items run one by one so only the bad one fails.
 */
export async function batchEach<T, R>(items: NodeInputs[], parse: (i: NodeInputs) => T, runMany: (xs: T[]) => Promise<R[]>): Promise<(R | Error)[]> {
  const parsed = items.map((i) => {
    try {
      return parse(i);
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  });
  const good = parsed.flatMap((p, i) => (p instanceof Error ? [] : [i]));
  const out: (R | Error)[] = parsed.map((p) => (p instanceof Error ? p : new Error('not run')));
  try {
    const results = await runMany(good.map((i) => parsed[i] as T));
    good.forEach((i, k) => {
      out[i] = results[k];
    });
  } catch {
    for (const i of good) {
      try {
        out[i] = (await runMany([parsed[i] as T]))[0];
      } catch (e) {
        out[i] = e instanceof Error ? e : new Error(String(e));
      }
    }
  }
  return out;
}
