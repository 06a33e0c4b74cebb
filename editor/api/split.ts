/**
 * PUT /api/graphs/:name/nodes/:node/weights from the inspector: a running split takes the
 * canvas's weights without a redeploy; the server records them as a new version, which the
 * editor then attaches to (so the canvas is not "modified" against the old one).
 */
import { weightsOf } from '../lib/split.js';
import { useEditor } from '../store/graph.js';
import { api } from './client.js';

export interface AppliedWeights {
  version: number;
  from: number;
}

export function applySplitWeights(graph: string, node: string, config: Record<string, unknown>): Promise<AppliedWeights> {
  return api.splitWeights(graph, node, weightsOf(config));
}

/** Apply, then attach the canvas to the version it made and say so in the toolbar. */
export async function applyWeightsLive(node: string): Promise<void> {
  const st = useEditor.getState();
  const graph = st.deployed;
  const data = st.nodes.find((n) => n.id === node)?.data;
  if (!graph || !data) return;
  try {
    const r = await applySplitWeights(graph, node, data.config);
    const stored = await api.version(graph, r.version);
    if (useEditor.getState().deployed === graph) useEditor.getState().attach({ name: graph, version: r.version, graph: stored.graph });
    useEditor.getState().notify(`${graph}/${node}: weights applied live as version ${r.version} (was ${r.from}); no replica restarted`, 'ok');
  } catch (e) {
    useEditor.getState().notify(`Could not apply the weights of ${node}: ${(e as Error).message}`, 'error');
  }
}
