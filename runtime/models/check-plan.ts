/**
 * `validate`'s model check: each model node's folder must exist and fit what the node
 * asks of it (runtime/models/layout.ts), so a graph naming an embedder that outputs
 * logits, or a folder without tokenizer.json, is refused before anything is deployed,
 * with the node, the config path, the missing input or output, and the fix.
 */
import { readdirSync } from 'node:fs';
import { type GraphError, jsonPath } from '../../shared/errors.js';
import { MODEL_ID_PATTERN } from '../../shared/multiplex.js';
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
    if (node.deployment.multiplex) {
      errors.push(...checkMultiplexFolder(id, at, node.deployment.multiplex.modelsFolder, need, modelsDir));
      continue;
    }
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

/** A multiplexed node: its models folder must exist and every model folder in it (each a model id) fit the node; config.model is not used. */
function checkMultiplexFolder(id: string, at: number, folder: string, need: { role: ModelRole; opts: FitOptions }, modelsDir: string): GraphError[] {
  const path = jsonPath(['nodes', at, 'deployment', 'multiplex', 'modelsFolder']);
  let dir: string;
  try {
    dir = resolveModelDir(folder, modelsDir, 'deployment.multiplex.modelsFolder');
  } catch (e) {
    return [{ code: 'invalid_deployment', node: id, path, message: (e as Error).message, fix: 'name a folder under the models directory (--models-dir) holding one model folder per model id' }];
  }
  const ids = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && MODEL_ID_PATTERN.test(d.name))
    .map((d) => d.name)
    .sort();
  if (ids.length === 0) return [{ code: 'invalid_deployment', node: id, path, message: `models folder "${folder}" holds no model folders`, fix: 'put one folder per model in it, named by the model id requests send' }];
  const errors: GraphError[] = [];
  for (const m of ids) {
    const problem = folderProblem(inspectFolder(`${dir}/${m}`, [need.role], need.opts), need.role);
    if (problem) errors.push({ code: 'invalid_deployment', node: id, path, message: `model "${m}" in "${folder}": ${problem.message}`, ...(problem.fix ? { fix: problem.fix } : {}) });
  }
  return errors;
}
