import { definedNodesOf } from '../../define-node.js';
import { builtinParts } from '../../kinds.js';
import type { NodeImplementation } from '../../nodes/types.js';

/**
 * The implementation a replica runs: from a custom module given with --nodes, else the
 * built-in kind's entry in runtime/kinds.ts, which imports only that kind's modules.
 */
export async function loadImplementation(kind: string, modules: readonly string[]): Promise<NodeImplementation> {
  for (const url of modules) {
    const found = definedNodesOf(await import(url)).find((n) => n.kind === kind);
    if (found) return found as NodeImplementation;
  }
  const run = builtinParts(kind)?.run;
  if (!run) throw new Error(`no implementation for node kind "${kind}"`);
  if (!('load' in run)) throw new Error(`node kind "${kind}" runs inline in the executor, not in a replica`);
  return run.load();
}
