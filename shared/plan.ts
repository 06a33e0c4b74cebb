import type { Deployment } from './deployment.js';
import type { Graph, GraphEdge } from './graph.js';
import type { PortSpec } from './ports.js';

export interface PlanEdge {
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
}

export interface NodeTotals {
  /** Replicas started at deploy time. */
  replicas: number;
  /** Most replicas the node may have (autoscaling upper bound). */
  maxReplicas: number;
  /** Per-node totals at the initial replica count: replicas x per-replica share (memory: PlanNode.memoryMb each). */
  cpus: number;
  gpus: number;
  memoryMb: number;
}

export interface PlanNode {
  id: string;
  kind: string;
  label: string;
  /** Config parsed by the kind's schema, defaults filled in. */
  config: Record<string, unknown>;
  /** Kind defaults layered under the node's own settings, then parsed. */
  deployment: Deployment;
  /** Memory placement reserves per replica: resources.memoryMb, else the kind's estimate (0 for inline nodes). */
  memoryMb: number;
  runsIn: 'executor' | 'replica';
  batchable: boolean;
  streams: boolean;
  /** With deployment.multiplex: the config field each model of the folder is loaded through (the kind's catalog `multiplex`). */
  multiplexField?: string;
  inputs: PortSpec[];
  outputs: PortSpec[];
  incoming: PlanEdge[];
  outgoing: PlanEdge[];
  upstream: string[];
  downstream: string[];
  /** Depth from the input: nodes of one stage can run in parallel. */
  stage: number;
  totals: NodeTotals;
}

export interface Plan {
  name: string;
  routePrefix: string;
  multipleOutputs: boolean;
  /** The document as parsed (document-level defaults filled, configs as written). */
  graph: Graph;
  nodes: Record<string, PlanNode>;
  /** Topological order. */
  order: string[];
  /** Nodes grouped by depth; each group may run in parallel. */
  stages: string[][];
  inputNode: string;
  outputNodes: string[];
  /** Nodes whose results feed several nodes (branches start here). */
  fanOut: { node: string; to: string[] }[];
  /** Nodes that wait for several nodes (branches join here). */
  fanIn: { node: string; from: string[] }[];
  /** Sums over replica-backed nodes. */
  totals: NodeTotals;
}

export function planEdge(e: GraphEdge): PlanEdge {
  return { source: e.source, sourceHandle: e.sourceHandle, target: e.target, targetHandle: e.targetHandle };
}
