import type { ServiceStats } from '../../shared/tuning.js';

/** Quantiles, mean, spread and minimum of a set of times (ms), as profiles record them. */
export function summarize(times: readonly number[]): ServiceStats {
  const sorted = [...times].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
  const { mean, std } = meanStd(times);
  return { p50: q(0.5), p90: q(0.9), p99: q(0.99), mean, std, min: sorted[0], max: sorted[sorted.length - 1] };
}

export function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const v = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, xs.length - 1);
  return { mean, std: Math.sqrt(v) };
}
