import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's own generated models (scripts/build-models.ts writes them). */
export const BUILTIN_MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));

/** A node config names a bad model; `field` is the config field, e.g. `config.model`. */
export class ModelConfigError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'ModelConfigError';
  }
}

/**
 * Maps a config's model string to a folder: `builtin:<name>` is the project's
 * models/<name>/, anything else a path inside modelsDir. Escapes are refused so
 * a graph document cannot read arbitrary files on the server.
 */
export function resolveModelDir(model: string, modelsDir: string, field = 'config.model'): string {
  const builtin = /^builtin:(.*)$/.exec(model);
  if (builtin) {
    const name = builtin[1];
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new ModelConfigError(`bad builtin model name "${name}"`, field);
    const dir = join(BUILTIN_MODELS_DIR, name);
    if (!isDir(dir)) throw new ModelConfigError(`no builtin model "${name}" (run npm run build:models)`, field);
    return dir;
  }
  if (model.split(/[\\/]/).includes('..')) throw new ModelConfigError(`"${model}" must not contain ".." segments`, field);
  const root = resolve(modelsDir);
  const dir = resolve(root, model);
  const rel = relative(root, dir);
  if (rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new ModelConfigError(`"${model}" is outside the models directory ${root}`, field);
  }
  if (!isDir(dir)) throw new ModelConfigError(`model folder "${model}" not found in ${root}`, field);
  return dir;
}

/** A file the model folder must hold, with an error naming the field when it does not. */
export function modelFile(dir: string, file: string, field = 'config.model'): string {
  const path = join(dir, file);
  if (!existsSync(path)) throw new ModelConfigError(`model folder ${dir} has no ${file}`, field);
  return path;
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
