import { definedNodesOf } from '../../define-node.js';
import type { NodeImplementation } from '../../nodes/types.js';

const isImplementation = (v: unknown, kind: string): v is NodeImplementation =>
  typeof v === 'object' && v !== null && (v as NodeImplementation).kind === kind && typeof (v as NodeImplementation).setup === 'function';

/**
 * The implementation of a kind: from a custom module given with --nodes, else
 * runtime/nodes/<kind>.ts (any export whose `kind` matches and that has setup()).
 * The catalog names the kinds, so no code here lists them.
 */
export async function loadImplementation(kind: string, modules: readonly string[]): Promise<NodeImplementation> {
  for (const url of modules) {
    const found = definedNodesOf(await import(url)).find((n) => n.kind === kind);
    if (found) return found as NodeImplementation;
  }
  if (!/^[a-z][a-z0-9-]*$/.test(kind)) throw new Error(`no implementation for node kind "${kind}"`);
  let mod: Record<string, unknown>;
  try {
    mod = await import(new URL(`../../nodes/${kind}.ts`, import.meta.url).href);
  } catch (e) {
    throw new Error(`no implementation for node kind "${kind}" (runtime/nodes/${kind}.ts): ${(e as Error).message}`);
  }
  const impl = Object.values(mod).find((v) => isImplementation(v, kind));
  if (!impl) throw new Error(`runtime/nodes/${kind}.ts exports no implementation with kind "${kind}" and setup()`);
  return impl;
}
