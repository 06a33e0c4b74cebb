import { describe, expect, it } from 'vitest';
import { pickForModel } from '../../runtime/dataplane/multiplex.js';
import { pickReplica } from '../../runtime/dataplane/router.js';

/** Model-aware routing's choice on synthetic replicas (the pure function the router calls). */

const replica = (id: string, inFlight: number, models: string[]) => ({ id, inFlight, models: new Set(models) });
/** A seeded sequence, so power of two choices samples the same replicas on every run. */
const seq = (...xs: number[]) => {
  let i = 0;
  return () => xs[i++ % xs.length];
};

describe('pickForModel', () => {
  it('takes the replica holding the model, the least busy of several, whatever the random draw', () => {
    const rs = [replica('a', 0, ['x']), replica('b', 3, ['m']), replica('c', 1, ['m']), replica('d', 0, [])];
    for (const r of [0, 0.3, 0.6, 0.99]) expect(pickForModel(rs, 'm', 5, 3, () => r)?.id).toBe('c');
  });

  it('skips a holder that is full and then prefers a replica with a free model slot', () => {
    const rs = [replica('a', 5, ['m']), replica('b', 0, ['x', 'y', 'z']), replica('c', 2, ['x'])];
    // Power of two choices over all three would take b (0 in flight) and evict one of its models.
    expect(pickReplica(rs, 5, seq(0.4, 0))?.id).toBe('b');
    expect(pickForModel(rs, 'm', 5, 3, seq(0.4, 0))?.id).toBe('c');
  });

  it('falls back to power of two choices when every replica is full of models, and to none when all are at their limit', () => {
    const rs = [replica('a', 2, ['x', 'y']), replica('b', 1, ['x', 'z'])];
    expect(pickForModel(rs, 'm', 5, 2, seq(0, 0))?.id).toBe('b');
    expect(pickForModel([replica('a', 5, ['m']), replica('b', 5, [])], 'm', 5, 2)).toBeUndefined();
    expect(pickForModel([], 'm', 5, 2)).toBeUndefined();
  });
});
