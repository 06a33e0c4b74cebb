// Small graph documents for compiler and placement tests, written as a user would write them.
export interface DocNode {
  id: string;
  kind: string;
  config?: Record<string, unknown>;
  deployment?: Record<string, unknown>;
  [k: string]: unknown;
}
export interface DocEdge {
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
  [k: string]: unknown;
}

export function doc(nodes: DocNode[], edges: DocEdge[], extra: Record<string, unknown> = {}) {
  return { version: 1, name: 'test', routePrefix: '/test', nodes, edges, ...extra };
}

export const edge = (from: string, to: string): DocEdge => {
  const [source, sourceHandle] = from.split('.');
  const [target, targetHandle] = to.split('.');
  return { source, sourceHandle, target, targetHandle };
};

/** input.query -> emb (embedder) -> out: the smallest useful valid graph; nodes[1] is emb. */
export function embedGraph(embDeployment: Record<string, unknown> = {}, embConfig: Record<string, unknown> = {}) {
  return doc(
    [
      { id: 'in', kind: 'input', config: { fields: { query: 'text' } } },
      { id: 'emb', kind: 'embedder', config: embConfig, deployment: embDeployment },
      { id: 'out', kind: 'output' },
    ],
    [edge('in.query', 'emb.text'), edge('emb.vector', 'out.in')],
  );
}
