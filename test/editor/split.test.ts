import { describe, expect, it } from 'vitest';
import { percent, splitShares, weightsDiffer, weightsOf } from '../../editor/lib/split.js';

describe("a split's shares on the card", () => {
  const config = { branches: [{ port: 'a', weight: 3 }, { port: 'b', weight: 1 }, { port: 'off', weight: 0 }] };

  it('configured share is weight / sum; the live share is what each branch took', () => {
    expect(splitShares(config)).toEqual([
      { port: 'a', weight: 3, configured: 0.75, observed: null, taken: 0 },
      { port: 'b', weight: 1, configured: 0.25, observed: null, taken: 0 },
      { port: 'off', weight: 0, configured: 0, observed: null, taken: 0 },
    ]);
    const live = [{ port: 'a', weight: 3, taken: 70 }, { port: 'b', weight: 1, taken: 30 }, { port: 'off', weight: 0, taken: 0 }];
    expect(splitShares(config, live).map((r) => r.observed)).toEqual([0.7, 0.3, 0]);
    // Deployed but nothing taken yet: no live share to show.
    expect(splitShares(config, live.map((b) => ({ ...b, taken: 0 }))).map((r) => r.observed)).toEqual([null, null, null]);
    expect(percent(2 / 3)).toBe('66.7%');
  });

  it('the weights sent live are every canvas branch, and differ from the running ones only when one changed', () => {
    expect(weightsOf(config)).toEqual({ a: 3, b: 1, off: 0 });
    const running = config.branches.map((b) => ({ ...b, taken: 5 }));
    expect(weightsDiffer(config, running)).toBe(false);
    expect(weightsDiffer({ branches: [{ port: 'a', weight: 9 }, ...config.branches.slice(1)] }, running)).toBe(true);
    expect(weightsDiffer({ branches: config.branches.slice(0, 2) }, running)).toBe(true);
  });
});
