import type { Plan } from '../../shared/plan.js';
import { beamlineExtras, USER_CONFIG_KEY } from '../../shared/ray-options.js';

/**
 * What each deployment's user_config.beamline holds. The Python classes read
 * it in reconfigure(), and `beamline import` reads it back into graph nodes.
 */
export interface NodeSettings {
  kind: string;
  label?: string;
  position: { x: number; y: number };
  config: Record<string, unknown>;
  batching?: { maxBatchSize: number; batchWaitTimeoutMs: number };
  gpuMemoryMb?: number;
}

export interface IngressSettings {
  graph: { name: string; description?: string; routePrefix: string; multipleOutputs?: boolean };
  /** input, output and switch nodes: they run inside the ingress. */
  nodes: ({ id: string } & NodeSettings)[];
  /** Per-call limits the ingress applies to each node's handle calls. */
  calls: Record<string, { timeoutMs: number; retries: number; multiplex?: { idField?: string } }>;
}

function base(plan: Plan, id: string): NodeSettings {
  const n = plan.nodes[id];
  const doc = plan.graph.nodes.find((x) => x.id === id)!;
  return { kind: n.kind, ...(doc.label !== undefined ? { label: doc.label } : {}), position: { ...doc.position }, config: n.config };
}

export function nodeSettings(plan: Plan, id: string): NodeSettings {
  return { ...base(plan, id), ...beamlineExtras(plan.nodes[id].deployment) };
}

export function ingressSettings(plan: Plan): IngressSettings {
  const g = plan.graph;
  const calls: IngressSettings['calls'] = {};
  for (const id of plan.order) {
    const n = plan.nodes[id];
    // A multiplexed node's call names its model: the ingress reads it (header, then idField) and passes it on.
    const m = n.deployment.multiplex;
    if (n.runsIn === 'replica') calls[id] = { timeoutMs: n.deployment.timeoutMs, retries: n.deployment.retries, ...(m ? { multiplex: m.idField !== undefined ? { idField: m.idField } : {} } : {}) };
  }
  return {
    graph: { name: g.name, ...(g.description !== undefined ? { description: g.description } : {}), routePrefix: g.routePrefix, ...(g.multipleOutputs ? { multipleOutputs: true } : {}) },
    nodes: plan.order.filter((id) => plan.nodes[id].runsIn === 'executor').map((id) => ({ id, ...base(plan, id) })),
    calls,
  };
}

export const userConfig = (settings: object) => ({ [USER_CONFIG_KEY]: settings });
