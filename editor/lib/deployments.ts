/** The Deployments view's figures and the rules for what the editor opens at start. */
import type { GraphState, GraphStatus, GraphSummary } from '../../shared/protocol.js';

/** The graph to open attached at start: the only one deployed, when nothing else is open. */
export function autoAttach(deployments: readonly GraphSummary[] | null, nothingOpen: boolean): string | undefined {
  if (!nothingOpen || !deployments || deployments.length !== 1) return undefined;
  return deployments[0].name;
}

export const formatMs = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${x < 10 ? x.toFixed(1) : Math.round(x)} ms`);
export const formatRate = (x: number) => (x === 0 ? '0' : x < 10 ? x.toFixed(1) : String(Math.round(x)));

export type Health = 'ok' | 'busy' | 'warn' | 'bad';

/**
 * How the graph looks at a glance. RUNNING with a node failing its requests is not
 * green: it is `bad` when every request fails, `warn` when some do or replicas are replaced.
 */
export function healthOf(state: GraphState | undefined, summary?: Pick<GraphSummary, 'failing' | 'pending' | 'errorRate'>): Health {
  if (!state || state === 'DEPLOYING' || state === 'DELETING') return 'busy';
  if (state === 'UNHEALTHY') return 'bad';
  if (summary?.failing.length) return summary.errorRate >= 0.5 ? 'bad' : 'warn';
  if (state === 'DEGRADED' || summary?.pending.length || (summary && summary.errorRate > 0)) return 'warn';
  return 'ok';
}

/** Per node: why it is failing (from the deployments summary), for the node cards. */
export function failingByNode(summary: Pick<GraphSummary, 'failing'> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of summary?.failing ?? []) out[f.node] = out[f.node] ? `${out[f.node]}; ${f.reason}` : f.reason;
  return out;
}

/** Replicas by state over the whole graph. */
export function replicaCounts(status: GraphStatus | null): { running: number; total: number } {
  const all = status ? Object.values(status.nodes).flatMap((n) => n.replicas) : [];
  return { running: all.filter((r) => r.state === 'RUNNING').length, total: all.length };
}
