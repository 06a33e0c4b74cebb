import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { branchSeed, fmix32, fnv1a, rendezvous, weightedPick } from '../../runtime/dataplane/inline/split-hash.js';
import { stickyKey } from '../../runtime/dataplane/inline/split.js';

/** FNV-1a the plain way, over a UTF-8 buffer: what fnv1a computes without allocating one. */
function fnvOfBytes(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) h = Math.imul(h ^ b, 0x01000193);
  return h >>> 0;
}

const within4Sigma = (count: number, n: number, p: number) => Math.abs(count - n * p) <= 4 * Math.sqrt(n * p * (1 - p));
const keys = Array.from({ length: 20_000 }, (_, i) => `user-${i}`);
const seeds = ['a', 'b', 'c'].map(branchSeed);

describe('split hashing', () => {
  it('fnv1a is FNV-1a over UTF-8 (published vectors, and any string against a buffer)', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => fnv1a(s) === fnvOfBytes(s)));
    // A lone surrogate is U+FFFD, as Buffer (and Python's "replace") encode it.
    expect(fnv1a('x\ud800y')).toBe(fnvOfBytes('x\ufffdy'));
  });

  it('fmix32 is murmur3 fmix32', () => {
    expect(fmix32(0)).toBe(0);
    expect(fmix32(1)).toBe(0x514e28b7);
  });

  it('a key lands on each branch with probability weight / sum', () => {
    const weights = [60, 30, 10];
    const counts = [0, 0, 0];
    for (const k of keys) counts[rendezvous(fnv1a(k), seeds, weights)]++;
    for (const [i, w] of weights.entries()) expect(within4Sigma(counts[i], keys.length, w / 100), `branch ${i}: ${counts[i]}`).toBe(true);
  });

  it('a weight of 0 takes no key, and raising one weight only draws keys to that branch', () => {
    const before = keys.map((k) => rendezvous(fnv1a(k), seeds, [50, 50, 0]));
    expect(before).not.toContain(2);
    const after = keys.map((k) => rendezvous(fnv1a(k), seeds, [50, 50, 25]));
    let moved = 0;
    after.forEach((b, i) => {
      if (b === before[i]) return;
      moved++;
      expect(b).toBe(2);
    });
    // The least that must move: the new branch's whole share, 25 / 125.
    expect(within4Sigma(moved, keys.length, 0.2), `${moved} moved`).toBe(true);
  });

  it('weightedPick follows the running sums and never picks a zero weight', () => {
    const cumulative = [0, 3, 3, 4];
    expect(weightedPick(cumulative, 0)).toBe(1);
    expect(weightedPick(cumulative, 0.74)).toBe(1);
    expect(weightedPick(cumulative, 0.75)).toBe(3);
    expect(weightedPick(cumulative, 1 - Number.EPSILON)).toBe(3);
    fc.assert(fc.property(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (r) => [1, 3].includes(weightedPick(cumulative, r))));
  });

  it('body values become keys only when both runtimes write them the same way', () => {
    expect(['u1', 7, true, '', 1.5, 2 ** 60, null, { id: 1 }, [1]].map(stickyKey)).toEqual(['u1', '7', 'true', undefined, undefined, undefined, undefined, undefined, undefined]);
  });
});
