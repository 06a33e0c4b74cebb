/**
 * Weighted rendezvous hashing (highest random weight) for the split kind's sticky keys,
 * pure and shared with the Ray export (py/beamline_nodes/split.py computes the same bits).
 *
 * Each branch scores a key as -weight / ln(u), with u in (0, 1) hashed from the key and the
 * branch's port; the highest score wins. -ln(u) is exponential, so a branch wins with
 * probability weight / sum, and when one weight changes only keys whose winner changes move:
 * raising a branch's weight only draws keys to it, lowering it only sends its own away.
 */

/** FNV-1a (32-bit) over the UTF-8 bytes of s, encoded inline so no buffer is allocated. */
export function fnv1a(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    // A lone surrogate is encoded as U+FFFD, as TextEncoder and Python's "replace" do.
    if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
    if (c < 0x80) h = Math.imul(h ^ c, 0x01000193);
    else if (c < 0x800) {
      h = Math.imul(h ^ (0xc0 | (c >> 6)), 0x01000193);
      h = Math.imul(h ^ (0x80 | (c & 63)), 0x01000193);
    } else if (c < 0x10000) {
      h = Math.imul(h ^ (0xe0 | (c >> 12)), 0x01000193);
      h = Math.imul(h ^ (0x80 | ((c >> 6) & 63)), 0x01000193);
      h = Math.imul(h ^ (0x80 | (c & 63)), 0x01000193);
    } else {
      h = Math.imul(h ^ (0xf0 | (c >> 18)), 0x01000193);
      h = Math.imul(h ^ (0x80 | ((c >> 12) & 63)), 0x01000193);
      h = Math.imul(h ^ (0x80 | ((c >> 6) & 63)), 0x01000193);
      h = Math.imul(h ^ (0x80 | (c & 63)), 0x01000193);
    }
  }
  return h >>> 0;
}

/** murmur3's finaliser: a bijection on 32 bits that spreads every input bit over the output. */
export function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The seed of a branch: the hash of its port, so a branch keeps its draws when others are added or removed. */
export const branchSeed = (port: string): number => fnv1a(port);

/**
 * The branch a key goes to: the index of the highest -w/ln(u) among weights > 0, u from
 * fmix32(keyHash ^ seed). Ties (equal scores) go to the first branch.
 */
export function rendezvous(keyHash: number, seeds: ArrayLike<number>, weights: ArrayLike<number>): number {
  let best = -1;
  let bestScore = -1;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i];
    if (!(w > 0)) continue;
    // (h + 0.5) / 2^32 lies strictly inside (0, 1), so ln(u) is finite and negative.
    const u = (fmix32(keyHash ^ seeds[i]) + 0.5) / 4294967296;
    const score = -w / Math.log(u);
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return best;
}

/** A branch at random by weight: `cumulative` holds running sums of the weights, r is uniform in [0, 1). */
export function weightedPick(cumulative: ArrayLike<number>, r: number): number {
  const n = cumulative.length;
  const x = r * cumulative[n - 1];
  for (let i = 0; i < n; i++) if (x < cumulative[i]) return i;
  // r * total rounded up to total: the last branch with any weight.
  for (let i = n - 1; i > 0; i--) if (cumulative[i] > cumulative[i - 1]) return i;
  return 0;
}
