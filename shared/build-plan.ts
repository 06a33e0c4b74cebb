import type { NodeKind } from './catalog/index.js';
import { type Deployment, initialReplicas, maxReplicas, replicaMemoryMb } from './deployment.js';
import type { Graph } from './graph.js';
import type { Plan, PlanEdge, PlanNode } from './plan.js';
import type { PortSpec } from './ports.js';

/** A node that passed the compiler's checks: its kind, parsed config and deployment, and ports. */
export interface CheckedNode {
  index: number;
  id: string;
  kind: NodeKind;
  config: Record<string, unknown>;
  deployment?: Deployment;
  inputs: PortSpec[];
  outputs: PortSpec[];
}

/** The plan of a graph the compiler accepted: dependency order, stages, fan-out/fan-in and totals. */
export function buildPlan(
  graph: Graph,
  checked: Map<string, CheckedNode>,
  incoming: Map<string, PlanEdge[]>,
  outgoing: Map<string, PlanEdge[]>,
  inputNode: string,
  outputNodes: string[],
): Plan {
  // Kahn's algorithm in document order; stage = longest path from the input.
  const ids = graph.nodes.map((n) => n.id);
  const indeg = new Map(ids.map((id) => [id, new Set((incoming.get(id) ?? []).map((e) => e.source)).size]));
  const stage = new Map<string, number>();
  const order: string[] = [];
  const ready = ids.filter((id) => indeg.get(id) === 0);
  for (const id of ready) stage.set(id, 0);
  // A moving head instead of shift(), so wide graphs stay linear.
  for (let head = 0; head < ready.length; head++) {
    const id = ready[head];
    order.push(id);
    for (const t of new Set((outgoing.get(id) ?? []).map((e) => e.target))) {
      stage.set(t, Math.max(stage.get(t) ?? 0, stage.get(id)! + 1));
      indeg.set(t, indeg.get(t)! - 1);
      if (indeg.get(t) === 0) ready.push(t);
    }
  }
  const stages: string[][] = [];
  for (const id of order) {
    const s = stage.get(id)!;
    if (!stages[s]) stages[s] = [];
    stages[s].push(id);
  }

  const docs = new Map(graph.nodes.map((n) => [n.id, n]));
  const nodes: Record<string, PlanNode> = {};
  const sum = { replicas: 0, maxReplicas: 0, cpus: 0, gpus: 0, memoryMb: 0 };
  for (const id of order) {
    const c = checked.get(id)!;
    const d = c.deployment!;
    const replicaBacked = c.kind.runsIn === 'replica';
    const replicas = replicaBacked ? initialReplicas(d) : 0;
    const memoryMb = replicaBacked ? replicaMemoryMb(d, c.kind.memoryMb) : 0;
    const totals = {
      replicas,
      maxReplicas: replicaBacked ? maxReplicas(d) : 0,
      cpus: replicas * d.resources.cpus,
      gpus: replicas * d.resources.gpus,
      memoryMb: replicas * memoryMb,
    };
    for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += totals[k];
    const doc = docs.get(id)!;
    const inc = incoming.get(id) ?? [];
    const out = outgoing.get(id) ?? [];
    nodes[id] = {
      id,
      kind: c.kind.kind,
      label: doc.label ?? c.kind.title,
      config: c.config,
      deployment: d,
      memoryMb,
      runsIn: c.kind.runsIn,
      batchable: !!c.kind.batchable,
      streams: !!c.kind.streams,
      ...(d.multiplex && c.kind.multiplex ? { multiplexField: c.kind.multiplex.field } : {}),
      inputs: c.inputs,
      outputs: c.outputs,
      incoming: inc,
      outgoing: out,
      upstream: [...new Set(inc.map((e) => e.source))],
      downstream: [...new Set(out.map((e) => e.target))],
      stage: stage.get(id)!,
      totals,
    };
  }
  return {
    name: graph.name,
    routePrefix: graph.routePrefix,
    multipleOutputs: !!graph.multipleOutputs,
    graph,
    nodes,
    order,
    stages,
    inputNode,
    outputNodes,
    fanOut: order.filter((id) => nodes[id].downstream.length > 1).map((id) => ({ node: id, to: nodes[id].downstream })),
    fanIn: order.filter((id) => nodes[id].upstream.length > 1).map((id) => ({ node: id, from: nodes[id].upstream })),
    totals: sum,
  };
}
