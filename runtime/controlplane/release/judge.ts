import type { CanaryPolicy, WindowFigures } from '../../../shared/release.js';

/**
 * The canary judge: one step's figures of both versions, taken over the same
 * period, in; promote or roll back out, with the reason in words. Pure, so it is
 * tested directly (test/runtime/release-judge.test.ts).
 */

/** Below this many ms of difference a p99 is not "worse" whatever the ratio: sub-millisecond p99s are noise. */
export const P99_SLACK_MS = 5;
/** Fewest canary requests a step is judged on when its windowMs runs out first. */
export const MIN_JUDGED = 10;

/** What one side of a step has seen so far; latencies of answered requests, a bounded ring. */
export class WindowSide {
  requests = 0;
  errors = 0;
  checkFailures = 0;
  private readonly lat: Float64Array;
  private n = 0;

  constructor(private readonly cap = 10_000) {
    this.lat = new Float64Array(cap);
  }

  add(ms: number, ok: boolean, checkFailed = false): void {
    this.requests++;
    if (!ok) this.errors++;
    if (checkFailed) this.checkFailures++;
    if (ok && !checkFailed) this.lat[this.n++ % this.cap] = ms;
  }

  /** Latencies of the answered requests (the last `cap` of them). */
  latencies(): number[] {
    return Array.from(this.lat.subarray(0, Math.min(this.n, this.cap)));
  }

  figures(withCheck = false): WindowFigures {
    return figures(this.requests, this.errors, this.latencies(), withCheck ? this.checkFailures : undefined);
  }
}

const round = (x: number) => Math.round(x * 100) / 100;

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

export function figures(requests: number, errors: number, latencies: number[], checkFailures?: number): WindowFigures {
  const sorted = latencies.slice().sort((a, b) => a - b);
  return {
    requests,
    errors,
    errorRate: requests === 0 ? 0 : errors / requests,
    p50Ms: round(percentile(sorted, 0.5)),
    p99Ms: round(percentile(sorted, 0.99)),
    ...(checkFailures !== undefined ? { checkFailures } : {}),
  };
}

export type Verdict = { action: 'promote' | 'rollback'; reason: string };

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/**
 * Rolled back when the canary failed an output check, when its error rate is more than
 * maxErrorRateIncrease above stable's, or when its p99 is over maxP99Ratio × stable's (and more
 * than P99_SLACK_MS above it); promoted otherwise. A stable side with no answered request has no
 * p99 to compare with: only errors and checks are judged then.
 */
export function judge(policy: Pick<CanaryPolicy, 'maxErrorRateIncrease' | 'maxP99Ratio' | 'check'>, stable: WindowFigures, canary: WindowFigures): Verdict {
  if ((canary.checkFailures ?? 0) > 0) {
    const what = policy.check ? `${policy.check.path}${policy.check.equals !== undefined ? ` = ${JSON.stringify(policy.check.equals)}` : ''}` : 'the output check';
    return { action: 'rollback', reason: `${canary.checkFailures} of ${canary.requests} canary answers failed the output check (${what})` };
  }
  const increase = canary.errorRate - stable.errorRate;
  if (increase > policy.maxErrorRateIncrease) {
    return {
      action: 'rollback',
      reason: `canary error rate ${pct(canary.errorRate)} (${canary.errors} of ${canary.requests}) > stable ${pct(stable.errorRate)} + ${(policy.maxErrorRateIncrease * 100).toFixed(1)} points`,
    };
  }
  const answered = stable.requests - stable.errors;
  if (answered > 0 && canary.p99Ms > stable.p99Ms * policy.maxP99Ratio && canary.p99Ms - stable.p99Ms > P99_SLACK_MS) {
    return { action: 'rollback', reason: `canary p99 ${canary.p99Ms} ms > ${policy.maxP99Ratio} × stable ${stable.p99Ms} ms` };
  }
  const p99 = answered > 0 ? `p99 ${canary.p99Ms} ms (stable ${stable.p99Ms} ms)` : `p99 ${canary.p99Ms} ms (stable answered nothing in the window: not compared)`;
  return { action: 'promote', reason: `canary error rate ${pct(canary.errorRate)} (stable ${pct(stable.errorRate)}), ${p99}: within limits` };
}

/** The output check: the value at a dotted path (`a.b.0`) must be present, and equal `equals` when given. */
export function checkOutput(output: unknown, check: NonNullable<CanaryPolicy['check']>): boolean {
  let v: unknown = output;
  for (const key of check.path.split('.').filter((k) => k !== '')) {
    if (typeof v !== 'object' || v === null) return false;
    v = (v as Record<string, unknown>)[key];
  }
  if (v === undefined) return false;
  return check.equals === undefined || v === check.equals;
}
