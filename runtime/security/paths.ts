import { activeFiles, builtinCatalog, type Catalog, type FileField } from '../../shared/catalog/index.js';
import { type GraphError, jsonPath } from '../../shared/errors.js';
import type { Plan } from '../../shared/plan.js';
import { resolveInside } from './inside.js';

export { resolveInside };

/**
 * Path guard: a graph may only name files inside the directories the operator
 * allowed. A graph document comes from whoever can reach the control plane; the
 * directories come from the command line.
 */
export interface PathPolicy {
  modelsDir: string;
  dataDir: string;
  /** Folder of the graph file when the operator served one from disk. */
  graphDir?: string;
  /** Module directories allowed with --allow-custom --nodes <dir>; empty: custom code is off. */
  moduleDirs: readonly string[];
}

const ROOT_NAMES: Record<FileField['root'], string> = {
  models: 'the models directory',
  modules: 'the allowed module directories',
  graph: "the graph's folder or the data directory",
};

function rootsFor(root: FileField['root'], p: PathPolicy): string[] {
  if (root === 'models') return [p.modelsDir];
  if (root === 'modules') return [...p.moduleDirs];
  return p.graphDir ? [p.graphDir, p.dataDir] : [p.dataDir];
}

/** Every config field that names a file outside its allowed directory, as graph errors. */
export function checkPlanPaths(plan: Plan, policy: PathPolicy, catalog: Catalog = builtinCatalog): GraphError[] {
  const errors: GraphError[] = [];
  plan.graph.nodes.forEach((node, i) => {
    const kind = catalog.get(node.kind);
    if (!kind) return;
    const mux = plan.nodes[node.id]?.deployment.multiplex;
    if (mux && resolveInside(mux.modelsFolder, [policy.modelsDir]) === undefined) {
      errors.push({
        code: 'invalid_deployment',
        node: node.id,
        path: jsonPath(['nodes', i, 'deployment', 'multiplex', 'modelsFolder']),
        message: `modelsFolder: ${JSON.stringify(mux.modelsFolder)} is outside ${ROOT_NAMES.models}`,
        fix: `name a folder inside ${ROOT_NAMES.models} (${policy.modelsDir})`,
      });
    }
    for (const f of activeFiles(kind, plan.nodes[node.id]?.config ?? node.config)) {
      const value = f.value;
      if (value.startsWith('builtin:')) continue;
      const path = jsonPath(['nodes', i, 'config', f.field]);
      if (f.root === 'modules' && policy.moduleDirs.length === 0) {
        errors.push({
          code: 'invalid_config',
          node: node.id,
          path,
          message: `${f.field}: loading code from a module is off on this server`,
          fix: 'the operator can allow it with `beamline serve --allow-custom --nodes <dir>`',
        });
        continue;
      }
      if (resolveInside(value, rootsFor(f.root, policy)) === undefined) {
        errors.push({
          code: 'invalid_config',
          node: node.id,
          path,
          message: `${f.field}: ${JSON.stringify(value)} is outside ${ROOT_NAMES[f.root]}`,
          fix: `name a path inside ${ROOT_NAMES[f.root]} (${rootsFor(f.root, policy).join(', ') || 'none allowed'})`,
        });
      }
    }
  });
  return errors;
}
