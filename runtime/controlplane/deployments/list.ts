/**
 * GET /api/graphs and GET /api/deployments: the deployed graphs, and those whose
 * deploy is in progress (DEPLOYING, with their nodes from the plan and no
 * replicas yet) so a client never sees a graph vanish while it is being deployed.
 */
import type { GraphStatus, GraphSummary, NodeStatus } from '../../../shared/protocol.js';
import type { Controller } from '../controller.js';
import type { GraphStore } from '../store.js';
import { type RequestRates, replicaSummary } from './summary.js';
import type { DeployingGraph, DeployTracker } from './tracker.js';

export interface ListSources {
  controller: Controller;
  tracker: DeployTracker;
  store: GraphStore;
}

/** The number the deploy in progress has, or will get, from the store: recorded and not active yet, else the next one. */
function versionOf(s: ListSources, d: DeployingGraph): number {
  const newest = s.store.versions(d.name)[0]?.version;
  if (newest === undefined) return 1;
  return d.phase === 'starting' && newest !== s.store.activeVersion(d.name) ? newest : newest + 1;
}

/** A status for a graph whose replicas do not exist yet: its nodes from the plan, no replicas. */
function deployingStatus(s: ListSources, d: DeployingGraph): GraphStatus {
  const nodes: Record<string, NodeStatus> = {};
  const plan = d.plan;
  for (const id of plan?.order ?? []) {
    const n = plan!.nodes[id];
    nodes[id] = {
      id,
      kind: n.kind,
      label: n.label,
      runsIn: n.runsIn,
      replicas: [],
      inFlight: 0,
      queued: 0,
      maxQueued: n.deployment.maxQueuedRequests,
      metrics: { requests: 0, errors: 0, p50Ms: null, p99Ms: null, batchSize: null },
    };
  }
  return { name: d.name, routePrefix: d.routePrefix, version: versionOf(s, d), state: 'DEPLOYING', deployedAt: d.since, nodes, deploying: { since: d.since, phase: d.phase } };
}

/** Every graph: the serving ones (marked when a new version is on its way), then first deploys in progress. */
export function listGraphs(s: ListSources): GraphStatus[] {
  const out: GraphStatus[] = [];
  for (const dep of s.controller.list()) {
    const d = s.tracker.get(dep.name);
    out.push({ ...dep.status(), ...(d ? { deploying: { since: d.since, phase: d.phase } } : {}) });
  }
  for (const d of s.tracker.list()) if (!s.controller.get(d.name)) out.push(deployingStatus(s, d));
  return out;
}

/** One summary row per graph, for the Deployments view. */
export async function listDeployments(s: ListSources, rates: RequestRates): Promise<GraphSummary[]> {
  const graphs = listGraphs(s);
  const deps = s.controller.list();
  const measured = await rates.summaries(deps);
  return graphs.map((g) => {
    const dep = s.controller.get(g.name);
    const m = measured.get(g.name) ?? { requestsPerSec: 0, p50Ms: null, p99Ms: null, errors: 0, errorRate: 0, nodeFailures: new Map<string, number>() };
    const { nodeFailures, ...rates } = m;
    return {
      name: g.name,
      routePrefix: g.routePrefix,
      version: g.version,
      state: g.state,
      ...replicaSummary(g, (node) => dep?.pools.get(node)?.desired ?? 0, nodeFailures),
      ...rates,
      ...(g.deploying ? { deploying: g.deploying } : {}),
    };
  });
}
