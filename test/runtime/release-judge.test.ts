import { describe, expect, it } from 'vitest';
import { checkOutput, figures, judge, P99_SLACK_MS } from '../../runtime/controlplane/release/judge.js';
import { compareOutputs } from '../../runtime/controlplane/release/shadow-compare.js';

const policy = { maxErrorRateIncrease: 0.01, maxP99Ratio: 1.5 };
const side = (requests: number, errors: number, ms: number) => figures(requests, errors, Array.from({ length: requests - errors }, () => ms));

describe('the canary judge', () => {
  it('promotes a canary within limits', () => {
    const v = judge(policy, side(100, 1, 20), side(100, 1, 25));
    expect(v.action).toBe('promote');
    expect(v.reason).toContain('within limits');
  });

  it('rolls back on an error-rate increase above the margin, naming both rates', () => {
    const v = judge(policy, side(100, 0, 20), side(100, 5, 20));
    expect(v).toEqual({ action: 'rollback', reason: 'canary error rate 5.0% (5 of 100) > stable 0.0% + 1.0 points' });
    expect(judge({ ...policy, maxErrorRateIncrease: 0.1 }, side(100, 0, 20), side(100, 5, 20)).action).toBe('promote');
  });

  it('rolls back on p99 over the ratio, but not on sub-slack noise', () => {
    expect(judge(policy, side(50, 0, 100), side(50, 0, 200))).toEqual({ action: 'rollback', reason: 'canary p99 200 ms > 1.5 × stable 100 ms' });
    // 0.4 ms against 1.2 ms is 3× but only 0.8 ms worse: noise, not a regression.
    expect(judge(policy, side(50, 0, 0.4), side(50, 0, 1.2)).action).toBe('promote');
    expect(judge(policy, side(50, 0, 1), side(50, 0, 1 + P99_SLACK_MS + 1)).action).toBe('rollback');
    // A stable side that answered nothing has no p99 to compare with.
    expect(judge(policy, side(0, 0, 0), side(20, 0, 500)).reason).toContain('not compared');
  });

  it('rolls back on any output-check failure', () => {
    const canary = { ...side(20, 0, 10), checkFailures: 1 };
    expect(judge({ ...policy, check: { path: 'label', equals: 'ok' } }, side(20, 0, 10), canary)).toEqual({
      action: 'rollback',
      reason: '1 of 20 canary answers failed the output check (label = "ok")',
    });
  });

  it('checks an output field by dotted path', () => {
    expect(checkOutput({ a: { b: [1, 2] } }, { path: 'a.b.1' })).toBe(true);
    expect(checkOutput({ a: { b: [1, 2] } }, { path: 'a.b.1', equals: 2 })).toBe(true);
    expect(checkOutput({ a: { b: [1, 2] } }, { path: 'a.b.1', equals: 3 })).toBe(false);
    expect(checkOutput({ a: 1 }, { path: 'a.c' })).toBe(false);
    expect(checkOutput(null, { path: 'a' })).toBe(false);
  });

  it('computes rates and percentiles', () => {
    expect(figures(4, 1, [1, 2, 3])).toEqual({ requests: 4, errors: 1, errorRate: 0.25, p50Ms: 2, p99Ms: 3 });
    expect(figures(0, 0, [])).toMatchObject({ errorRate: 0, p50Ms: 0, p99Ms: 0 });
  });
});

describe('comparing shadow answers', () => {
  it('agrees exactly, or within a relative tolerance for numbers and vectors', () => {
    expect(compareOutputs({ a: [1, 'x', true] }, { a: [1, 'x', true] })).toEqual({ equal: true });
    expect(compareOutputs({ v: [0.1, 0.2] }, { v: [0.1, 0.2000001] })).toEqual({ equal: false, where: '$.v[1]' });
    expect(compareOutputs({ v: [0.1, 0.2] }, { v: [0.1, 0.2000001] }, 1e-6)).toEqual({ equal: true });
    expect(compareOutputs({ big: 1e6 }, { big: 1e6 + 0.5 }, 1e-6)).toEqual({ equal: true });
    expect(compareOutputs(new Float32Array([1, 2]), [1, 2])).toEqual({ equal: true });
  });

  it('names the first difference by JSON path', () => {
    expect(compareOutputs({ a: { b: 1 } }, { a: { b: 2 } })).toEqual({ equal: false, where: '$.a.b' });
    expect(compareOutputs({ a: 1 }, { a: 1, extra: 2 })).toEqual({ equal: false, where: '$.extra' });
    expect(compareOutputs([1, 2], [1, 2, 3])).toEqual({ equal: false, where: '$[2]' });
    expect(compareOutputs({ 'odd key': 'x' }, { 'odd key': 'y' })).toEqual({ equal: false, where: '$["odd key"]' });
    expect(compareOutputs('a', 1)).toEqual({ equal: false, where: '$' });
    expect(compareOutputs({ a: [] }, { a: {} })).toEqual({ equal: false, where: '$.a' });
  });
});
