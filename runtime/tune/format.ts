/**
 * A figure as the tuner prints it: whole above 100, one decimal from 1, two significant digits
 * below (a 0.01 ms target reads 0.01, not 0.0), ∞ when unbounded.
 */
export function fmtFigure(x: number): string {
  if (!Number.isFinite(x)) return '∞';
  const a = Math.abs(x);
  if (a >= 100) return Math.round(x).toString();
  if (a >= 1 || a === 0) return x.toFixed(1);
  return Number(x.toPrecision(2)).toString();
}
