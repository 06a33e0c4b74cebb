import { statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { z } from 'zod';
import type { custom as kind } from '../../shared/catalog/custom.js';
import { resolveInside } from '../security/paths.js';
import type { NodeContext, NodeImplementation } from './types.js';

type Config = z.output<typeof kind.config>;

export type CustomFunction = (input: unknown, options: Record<string, unknown>, call: { requestId: string; signal: AbortSignal }) => unknown;

/**
 * The module file a config names, only when it lies inside a directory the
 * operator allowed: a graph comes from whoever can reach the API, so it must
 * not be able to run arbitrary files on the server.
 */
export function resolveCustomModule(module: string, ctx: Pick<NodeContext, 'moduleDirs'>): string {
  const dirs = ctx.moduleDirs ?? [];
  if (dirs.length === 0) {
    throw new Error('config.module: custom code is off on this server (the operator can allow it with `beamline serve --allow-custom --nodes <dir>`)');
  }
  const path = resolveInside(module, dirs);
  if (path === undefined) throw new Error(`config.module: "${module}" is outside the allowed module directories (${dirs.join(', ')})`);
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {}
  if (!isFile) throw new Error(`config.module: no module file "${module}" in the allowed module directories (${dirs.join(', ')})`);
  return path;
}

export const custom: NodeImplementation<Config> = {
  kind: 'custom',
  async setup(config, ctx) {
    const path = resolveCustomModule(config.module, ctx);
    let mod: Record<string, unknown>;
    try {
      mod = await import(pathToFileURL(path).href);
    } catch (e) {
      throw new Error(`config.module: cannot load "${config.module}": ${(e as Error).message}`);
    }
    const fn = mod[config.exportName];
    if (typeof fn !== 'function') {
      const names = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
      throw new Error(`config.exportName: "${config.module}" exports no function "${config.exportName}" (functions: ${names.join(', ') || 'none'})`);
    }
    ctx.log(`custom: ${config.module}#${config.exportName}`);
    return {
      async call(inputs, call) {
        const out = await (fn as CustomFunction)(inputs.in, config.options, { requestId: call.requestId, signal: call.signal });
        return { out };
      },
    };
  },
};

export default custom;
