import { activeSecretEnv, builtinCatalog, type Catalog } from '../../shared/catalog/index.js';
import { type GraphError, jsonPath } from '../../shared/errors.js';
import type { Plan } from '../../shared/plan.js';
import { BASE_URL_FIX, baseUrlRefusal, ENV_FIX, envRefusal, type SecretPolicy } from './secret-policy.js';

/**
 * Secret guard, driven by the catalog's `secretEnv` fields as the path guard is
 * by `files`: every variable a graph names must be allowed, and its value may only
 * go to a pinned base URL when the operator pins any. Runs at deploy (POST, rollback,
 * restore, `serve graph.json`) and in `beamline validate`.
 */
export function checkPlanSecrets(plan: Plan, policy: SecretPolicy, catalog: Catalog = builtinCatalog): GraphError[] {
  const errors: GraphError[] = [];
  plan.graph.nodes.forEach((node, i) => {
    const kind = catalog.get(node.kind);
    if (!kind) return;
    for (const s of activeSecretEnv(kind, plan.nodes[node.id]?.config ?? node.config)) {
      const envWhy = envRefusal(s.name, policy);
      if (envWhy) errors.push({ code: 'invalid_config', node: node.id, path: jsonPath(['nodes', i, 'config', s.field]), message: `${s.field}: ${envWhy}`, fix: ENV_FIX });
      const urlWhy = s.sentTo && baseUrlRefusal(s.sentTo.url, policy);
      if (s.sentTo && urlWhy) errors.push({ code: 'invalid_config', node: node.id, path: jsonPath(['nodes', i, 'config', s.sentTo.field]), message: `${s.sentTo.field}: ${urlWhy}`, fix: BASE_URL_FIX });
    }
  });
  return errors;
}
