import { describe, expect, it } from 'vitest';
import { lengthGroups } from '../../runtime/models/length-groups.js';

describe('lengthGroups', () => {
  it('keeps rows of similar length together and starts a new run when padding would grow', () => {
    // Three short rows and two long ones: padding the short ones to 40 would triple their cost.
    expect(lengthGroups([8, 9, 10, 38, 40], 64)).toEqual([[0, 1, 2], [3, 4]]);
  });

  it('never exceeds maxRows and covers every row once, in order', () => {
    const lengths = Array.from({ length: 100 }, () => 12);
    const groups = lengthGroups(lengths, 32);
    expect(groups.map((g) => g.length)).toEqual([32, 32, 32, 4]);
    expect(groups.flat()).toEqual(lengths.map((_, i) => i));
  });

  it('bounds padded tokens by the slack within every run', () => {
    const lengths = [3, 4, 4, 5, 7, 9, 12, 15, 15, 16, 30, 31, 60, 64];
    for (const g of lengthGroups(lengths, 64, 1.25)) {
      const real = g.reduce((s, i) => s + lengths[i], 0);
      const padded = g.length * Math.max(...g.map((i) => lengths[i]));
      expect(g.length === 1 || padded <= 1.25 * real).toBe(true);
    }
  });
});
