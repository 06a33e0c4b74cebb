/** Pure parts of "Tune for a target": the form's checks, the rows shown, and the deployments Apply writes. */
import type { Graph } from '../../shared/graph.js';
import type { ProfileJob } from '../../shared/tune-api.js';
import type { NodeSetting, TuneResult } from '../../shared/tuning.js';

/** The rate and latency fields as typed; a message naming the field when one is not a positive number. */
export function checkTarget(rate: string, p99: string): { ok: true; qps: number; p99Ms: number } | { ok: false; field: 'rate' | 'p99'; message: string } {
  const qps = Number(rate);
  if (rate.trim() === '' || !Number.isFinite(qps) || qps <= 0) return { ok: false, field: 'rate', message: 'Rate: enter the requests per second to serve, a number above 0.' };
  const p99Ms = Number(p99);
  if (p99.trim() === '' || !Number.isFinite(p99Ms) || p99Ms <= 0) return { ok: false, field: 'p99', message: 'p99: enter the latency bound in milliseconds, a number above 0.' };
  return { ok: true, qps, p99Ms };
}

/** One line of a setting: `2× · 1 CPU · 0.25 GPU · batch 8 (wait 5 ms) · max 5 ongoing`. */
export function settingText(s: NodeSetting): string {
  const parts = [`${s.numReplicas}×`, `${round(s.cpus)} CPU`];
  if (s.gpus > 0) parts.push(`${round(s.gpus)} GPU`);
  parts.push(s.maxBatchSize > 1 ? `batch ${s.maxBatchSize} (wait ${round(s.batchWaitMs)} ms)` : 'no batching');
  parts.push(`max ${s.maxOngoingRequests} ongoing`);
  return parts.join(' · ');
}

/** The progress line of a profile job: `measuring b: 4 of 12 points, about 9 s left`. */
export function profileText(j: ProfileJob): string {
  if (j.state === 'failed') return `Profiling failed${j.node ? ` at node ${j.node}` : ''}: ${j.error ?? 'unknown error'}${j.fix ? ` (fix: ${j.fix})` : ''}`;
  if (j.state === 'done') return `Profiled in ${j.profile?.durationS ?? Math.round(j.progress.elapsedS)} s.`;
  const p = j.progress;
  if (p.total === 0) return 'Starting: running the samples through the graph to capture each node\'s inputs…';
  const left = p.remainingS === null ? (j.estimateS !== undefined ? `, about ${Math.ceil(j.estimateS)} s in all` : '') : `, about ${Math.ceil(p.remainingS)} s left`;
  return `Measuring${p.node ? ` ${p.node}` : ''}: ${p.done} of ${p.total || '?'} points${left}`;
}

/** Deployment per node id from the graph the tuner sent back, for the nodes it set: what Apply writes, in one step. */
export function tunedDeployments(result: TuneResult & { graph?: Graph }): Record<string, Record<string, unknown>> {
  if (!result.ok || !result.graph) return {};
  const out: Record<string, Record<string, unknown>> = {};
  for (const n of result.graph.nodes) if (result.settings[n.id]) out[n.id] = n.deployment as Record<string, unknown>;
  return out;
}

/** Milliseconds as shown: whole from 10 ms, one decimal below; ∞ for a target no setting keeps up with. */
export function ms(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '∞';
  return x >= 10 ? `${Math.round(x)} ms` : `${round(x)} ms`;
}

const round = (x: number) => Math.round(x * 100) / 100;
