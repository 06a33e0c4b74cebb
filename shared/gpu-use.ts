import { type Catalog, builtinCatalog } from './catalog/index.js';
import type { Plan } from './plan.js';

/** A GPU reservation the node's implementation cannot use: a warning, not an error (the graph still serves). */
export interface GpuWarning {
  code: 'gpu_unused';
  node: string;
  /** JSON path of the node's GPU setting in the document. */
  path: string;
  message: string;
  fix: string;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Nodes that reserve more GPU than their implementation uses (a kind's
 * `gpuUse`): a CPU-only backend holding a GPU share, or several whole GPUs for
 * one ONNX Runtime session on one device. The planner and Ray reserve what the
 * graph asks for, so the surplus stays idle while other replicas wait for it.
 */
export function gpuWarnings(plan: Plan, catalog: Catalog = builtinCatalog): GpuWarning[] {
  const out: GpuWarning[] = [];
  for (const id of plan.order) {
    const n = plan.nodes[id];
    const asked = n.deployment.resources.gpus;
    if (n.runsIn !== 'replica' || asked <= 0) continue;
    const usable = catalog.get(n.kind)?.gpuUse?.(n.config);
    if (usable === undefined || asked <= usable) continue;
    const index = plan.graph.nodes.findIndex((x) => x.id === id);
    const path = `$.nodes[${index}].deployment.resources.gpus`;
    const backend = typeof n.config.backend === 'string' ? ` with the ${n.config.backend} backend` : '';
    if (usable === 0) {
      out.push({
        code: 'gpu_unused',
        node: id,
        path,
        message: `reserves ${asked} GPU per replica, but a ${n.kind} node${backend} runs on the CPU only: the reservation stays idle and keeps other replicas off that GPU`,
        fix: 'set resources.gpus to 0',
      });
    } else {
      out.push({
        code: 'gpu_unused',
        node: id,
        path,
        message: `reserves ${plural(asked, 'GPU')} per replica, but a ${n.kind} node${backend} uses at most ${plural(usable, 'GPU')} (one ONNX Runtime session on one device): ${asked - usable} stay idle`,
        fix: `set resources.gpus to ${usable}, and raise numReplicas for more throughput`,
      });
    }
  }
  return out;
}

/** One line per warning, as the CLI prints them. */
export const formatGpuWarning = (w: GpuWarning) => `warning: node ${w.node} at ${w.path}: ${w.message} (fix: ${w.fix})`;
