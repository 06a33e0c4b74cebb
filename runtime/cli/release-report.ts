import type { ReleaseStatus, WindowFigures } from '../../shared/release.js';
import { table } from './print.js';

/** A release as `beamline deploy --canary/--shadow` and `beamline release` print it: state, share, figures, decisions. */

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const time = (at: number) => new Date(at).toISOString().slice(11, 19);
const side = (name: string, f: WindowFigures) => [name, f.requests, f.errors, pct(f.errorRate), f.p50Ms, f.p99Ms, f.checkFailures ?? '-'] as const;

export function formatRelease(r: ReleaseStatus): string {
  const lines: string[] = [];
  const share = r.mode === 'canary' ? `${r.share}% of requests on version ${r.candidateVersion}` : `${r.share}% of requests mirrored to version ${r.candidateVersion}`;
  lines.push(`${r.graph}: ${r.mode} release of version ${r.candidateVersion} beside version ${r.stableVersion}, ${r.state}${r.state === 'running' ? `: ${share}` : ''}`);
  if (r.canary) {
    const c = r.canary;
    lines.push(
      `policy: steps ${c.steps.join(' → ')} %, judged every ${c.windowRequests} canary requests or ${c.windowMs} ms; rollback when errors rise > ${(c.maxErrorRateIncrease * 100).toFixed(1)} points, p99 > ${c.maxP99Ratio} × stable${c.check ? `, or ${c.check.path}${c.check.equals !== undefined ? ` ≠ ${JSON.stringify(c.check.equals)}` : ' missing'}` : ''}`,
    );
    if (r.replayed) lines.push(`replayed on stable: ${r.replayed} canary request${r.replayed === 1 ? '' : 's'} (their clients got the stable answer)`);
  }
  if (r.window) {
    lines.push('', 'this step so far:', table(['version', 'requests', 'errors', 'error rate', 'p50 ms', 'p99 ms', 'check fails'], [side('stable', r.window.stable), side('canary', r.window.candidate)]));
  }
  const s = r.shadowFigures;
  if (s) {
    lines.push(`shadow (tolerance ${r.shadow?.tolerance ?? 0}): mirrored ${s.mirrored}, agreed ${s.agreed}, differed ${s.differed}, candidate failed ${s.failed}, skipped ${s.skipped} (candidate busy)`);
    lines.push(`latency  stable p50 ${s.stable.p50Ms} ms, p99 ${s.stable.p99Ms} ms;  candidate p50 ${s.candidate.p50Ms} ms, p99 ${s.candidate.p99Ms} ms`);
    for (const d of s.recentDiffs.slice(0, 5)) lines.push(`  differs at ${d.where} (request ${d.requestId}): stable ${short(d.stable)}, candidate ${d.candidateError ?? short(d.candidate)}`);
  }
  lines.push('', 'decisions:');
  for (const d of r.decisions) {
    lines.push(`  ${time(d.at)}  ${d.action.padEnd(8)} ${String(d.fromShare).padStart(3)}% → ${String(d.toShare).padStart(3)}%  (${d.by})  ${d.reason}`);
  }
  return lines.join('\n');
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}
