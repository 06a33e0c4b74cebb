/**
 * `validate`'s model check: each model node's folder must exist and fit what the node
 * asks of it (runtime/models/layout.ts), so a graph naming an embedder that outputs
 * logits, or a folder without tokenizer.json, is refused before anything is deployed,
 * with the node, the config path, the missing input or output, and the fix.
 */
import { type GraphError, jsonPath } from '../../shared/errors.js';
import type { Plan, PlanNode } from '../../shared/plan.js';
import { type FitOptions, folderProblem, inspectFolder, type ModelRole } from './layout.js';
import { resolveModelDir } from './resolve.js';

/** The extractive llm's default sentence embedder (runtime/nodes/llm/extractive.ts). */
const EXTRACTIVE_DEFAULT = 'builtin:glove-100d';

/** What a node of this kind and config asks of its model folder; undefined when it names none. */
export function modelNeed(node: Pick<PlanNode, 'kind' | 'config'>): { model: string; role: ModelRole; opts: FitOptions } | undefined {
  const c = node.config as Record<string, unknown>;
  const model = typeof c.model === 'string' ? c.model : undefined;
  switch (node.kind) {
    case 'embedder':
      return model ? { model, role: 'embedder', opts: { pooling: String(c.pooling ?? 'auto') } } : undefined;
    case 'classifier':
      return model ? { model, role: 'classifier', opts: Array.isArray(c.labels) ? { labels: c.labels as string[] } : {} } : undefined;
    case 'reranker':
      return model ? { model, role: c.mode === 'cross-encoder' ? 'cross-encoder' : 'embedder', opts: {} } : undefined;
    case 'ner':
      return c.backend === 'onnx' && model ? { model, role: 'token-classifier', opts: {} } : undefined;
    case 'llm':
      if (c.backend === 'onnx') return model ? { model, role: 'causal-lm', opts: {} } : undefined;
      if (c.backend === 'extractive' || c.backend === undefined) return { model: model ?? EXTRACTIVE_DEFAULT, role: 'embedder', opts: {} };
      return undefined;
    default:
      return undefined;
  }
}

export function checkPlanModels(plan: Plan, modelsDir: string): GraphError[] {
  const errors: GraphError[] = [];
  for (const id of plan.order) {
    const node = plan.nodes[id];
    const need = modelNeed(node);
    if (!need) continue;
    const at = plan.graph.nodes.findIndex((n) => n.id === id);
    const path = jsonPath(['nodes', at, 'config', 'model']);
    let dir: string;
    try {
      dir = resolveModelDir(need.model, modelsDir);
    } catch (e) {
      errors.push({ code: 'invalid_config', node: id, path, message: (e as Error).message.replace(/^config\.model: /, ''), fix: 'name a folder under the models directory (--models-dir) or builtin:<name>' });
      continue;
    }
    const problem = folderProblem(inspectFolder(dir, [need.role], need.opts), need.role);
    if (problem) errors.push({ code: 'invalid_config', node: id, path, message: `model "${need.model}": ${problem.message}`, ...(problem.fix ? { fix: problem.fix } : {}) });
  }
  return errors;
}
