import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkInputFields } from '../../runtime/dataplane/inline/input-fields.js';
import { chooseBranch, readPath } from '../../runtime/dataplane/inline/switch-condition.js';
import { pickReplica } from '../../runtime/dataplane/router.js';

describe('pickReplica (power of two choices)', () => {
  it('takes the less busy of the two sampled replicas', () => {
    const rs = [{ inFlight: 3 }, { inFlight: 1 }, { inFlight: 2 }];
    const seq = [0, 0.5];
    let i = 0;
    const chosen = pickReplica(rs, 10, () => seq[i++]);
    // First sample: index 0. Second: index 1 of the other two, i.e. replica 2. Replica 2 is less busy.
    expect(chosen).toBe(rs[2]);
  });

  it('never returns a full replica, and finds a free one whenever there is one', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(5), { minLength: 0, maxLength: 8 }), fc.integer({ min: 1, max: 5 }), fc.double({ min: 0, max: 0.999, noNaN: true }), (loads, limit, r) => {
        const rs = loads.map((inFlight) => ({ inFlight }));
        const chosen = pickReplica(rs, limit, () => r);
        if (rs.some((x) => x.inFlight < limit)) expect(chosen && chosen.inFlight < limit).toBe(true);
        else expect(chosen).toBeUndefined();
      }),
    );
  });
});

describe('checkInputFields', () => {
  const fields = { query: 'text', topK: 'json', v: 'vector' } as const;
  it('accepts a body with every field of the right type', () => {
    expect(checkInputFields({ query: 'q', topK: 3, v: [1, 2] }, { ...fields })).toBeUndefined();
  });
  it('names the path of a missing or mistyped field', () => {
    expect(checkInputFields({ topK: 3, v: [] }, { ...fields })).toMatchObject({ path: '$.query', message: expect.stringContaining('missing') });
    expect(checkInputFields({ query: 5, topK: 3, v: [] }, { ...fields })).toMatchObject({ path: '$.query', message: expect.stringContaining('a number') });
    expect(checkInputFields({ query: 'q', topK: 3, v: ['x'] }, { ...fields })).toMatchObject({ path: '$.v' });
    expect(checkInputFields([], { ...fields })).toMatchObject({ path: '$' });
    expect(checkInputFields({ 'odd key': 1 }, { 'odd key': 'text' } as never)).toMatchObject({ path: '$["odd key"]' });
  });
});

describe('switch condition', () => {
  const cases = [
    { port: 'pos', equals: 'POSITIVE' },
    { port: 'num', equals: 7 },
  ];
  it('takes the first matching case, else default', () => {
    expect(chooseBranch({ label: 'POSITIVE' }, 'label', cases)).toBe('pos');
    expect(chooseBranch({ r: { n: 7 } }, 'r.n', cases)).toBe('num');
    expect(chooseBranch({ label: 'NEGATIVE' }, 'label', cases)).toBe('default');
    expect(chooseBranch('POSITIVE', '', cases)).toBe('pos');
    expect(chooseBranch(null, 'a.b', cases)).toBe('default');
  });
  it('reads dotted paths into arrays and objects', () => {
    expect(readPath({ a: [{ b: 1 }] }, 'a.0.b')).toBe(1);
    expect(readPath({ a: 1 }, 'a.b.c')).toBeUndefined();
  });
});
