import type { Graph } from '../../shared/graph.js';
import type { Plan } from '../../shared/plan.js';
import type { AutoscaleBounds, NodeSetting, Settings } from '../../shared/tuning.js';

/** The settings a plan's graph has now (its hand-written deployment), in the tuner's terms. */
export function currentSettings(plan: Plan): Settings {
  const out: Settings = {};
  for (const id of plan.order) {
    const n = plan.nodes[id];
    if (n.runsIn !== 'replica') continue;
    const d = n.deployment;
    out[id] = {
      numReplicas: n.totals.replicas,
      maxBatchSize: n.batchable && d.batching ? d.batching.maxBatchSize : 1,
      batchWaitMs: n.batchable && d.batching ? d.batching.batchWaitTimeoutMs : 0,
      maxOngoingRequests: d.maxOngoingRequests,
      cpus: d.resources.cpus,
      gpus: d.resources.gpus,
    };
  }
  return out;
}

/**
 * A new graph document with the settings written into each node's deployment (the input is not
 * changed). Other deployment fields (timeouts, memory, queues) are kept. Without bounds the node
 * gets a fixed numReplicas and loses any autoscaling; with bounds it autoscales between them.
 */
export function applySettings(graph: Graph, settings: Settings, bounds?: AutoscaleBounds): Graph {
  return {
    ...graph,
    nodes: graph.nodes.map((node) => {
      const s = settings[node.id];
      if (!s) return node;
      return { ...node, deployment: tunedDeployment(node.deployment ?? {}, s, bounds?.nodes[node.id]) };
    }),
  };
}

function tunedDeployment(own: Record<string, unknown>, s: NodeSetting, b: AutoscaleBounds['nodes'][string] | undefined): Record<string, unknown> {
  const resources = typeof own.resources === 'object' && own.resources !== null ? (own.resources as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {
    ...own,
    maxOngoingRequests: s.maxOngoingRequests,
    resources: { ...resources, cpus: s.cpus, gpus: s.gpus },
    // null drops a kind's batching default; a batch of 1 is no batching.
    batching: s.maxBatchSize > 1 ? { maxBatchSize: s.maxBatchSize, batchWaitTimeoutMs: s.batchWaitMs } : null,
  };
  if (b) {
    delete out.numReplicas;
    const prev = typeof own.autoscaling === 'object' && own.autoscaling !== null ? (own.autoscaling as Record<string, unknown>) : {};
    out.autoscaling = { ...prev, minReplicas: b.minReplicas, maxReplicas: b.maxReplicas, initialReplicas: Math.min(b.maxReplicas, Math.max(b.minReplicas, s.numReplicas)), targetOngoingRequests: b.targetOngoingRequests };
  } else {
    out.numReplicas = s.numReplicas;
    // autoscaling would override numReplicas; the tuned count is the point.
    out.autoscaling = null;
  }
  return out;
}
