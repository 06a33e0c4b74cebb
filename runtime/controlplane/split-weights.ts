import { type GraphError, jsonPath } from '../../shared/errors.js';

/**
 * New weights for a running split node (PUT /api/graphs/:name/nodes/:node/weights,
 * `beamline split`): checked against the node's branches, then written into a copy of the
 * graph document, which the deployer records as a new version and swaps in place.
 */

export type WeightsRefusal = { ok: false; status: 400 | 404; error: string; errors: GraphError[] };

function refuse(status: 400 | 404, path: string, message: string, node?: string, fix?: string): WeightsRefusal {
  return { ok: false, status, error: message, errors: [{ code: status === 404 ? 'unknown_node' : 'invalid_config', path, message, ...(node ? { node } : {}), ...(fix ? { fix } : {}) }] };
}

interface DocNode {
  id?: unknown;
  kind?: unknown;
  config?: { branches?: { port: string; weight: number }[] } & Record<string, unknown>;
}

/**
 * The document with `weights` (port -> weight) set on split node `nodeId`; branches not named
 * keep theirs. Errors name `node`, `$.weights.<port>` or `$.weights`.
 */
export function withSplitWeights(doc: unknown, nodeId: string, weights: Record<string, unknown>): { ok: true; graph: unknown } | WeightsRefusal {
  const nodes = (doc as { nodes?: DocNode[] } | null)?.nodes ?? [];
  const index = nodes.findIndex((n) => n.id === nodeId);
  if (index < 0) return refuse(404, '$.node', `the graph has no node "${nodeId}"`, nodeId, `name a split node: ${nodes.filter((n) => n.kind === 'split').map((n) => n.id).join(', ') || 'this graph has none'}`);
  const node = nodes[index];
  if (node.kind !== 'split') return refuse(400, '$.node', `node ${nodeId} is a ${String(node.kind)} node, not a split: only a split's weights can change live`, nodeId);
  const branches = node.config?.branches ?? [];
  const names = Object.keys(weights);
  if (names.length === 0) return refuse(400, '$.weights', 'name at least one branch, e.g. {"weights": {"a": 90, "b": 10}}', nodeId);
  const next = branches.map((b) => ({ ...b }));
  for (const port of names) {
    const path = jsonPath(['weights', port]);
    const b = next.find((x) => x.port === port);
    if (!b) return refuse(400, path, `node ${nodeId} has no branch "${port}" (its branches: ${branches.map((x) => x.port).join(', ')})`, nodeId);
    const w = weights[port];
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0 || w > 1e9) return refuse(400, path, `the weight of branch "${port}" must be a number from 0 to 1e9, got ${JSON.stringify(w) ?? String(w)}`, nodeId);
    b.weight = w;
  }
  if (!(next.reduce((s, b) => s + b.weight, 0) > 0)) return refuse(400, '$.weights', `the weights of node ${nodeId} must sum to a positive number (${next.map((b) => `${b.port}=${b.weight}`).join(', ')})`, nodeId);
  const graph = structuredClone(doc) as { nodes: DocNode[] };
  graph.nodes[index].config = { ...graph.nodes[index].config, branches: next };
  return { ok: true, graph };
}
