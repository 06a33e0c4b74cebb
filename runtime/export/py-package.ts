import { readFileSync } from 'node:fs';

/**
 * The Python package every exported Beamline app ships as app/beamline_nodes/: real .py
 * files in py/beamline_nodes/ beside this module (compiled and linted by test/export/python-lint.test.ts).
 * The exporter only chooses which modules go; it writes none of their code.
 */
export const PY_PACKAGE = 'beamline_nodes';
export const PY_PACKAGE_DIR = new URL(`./py/${PY_PACKAGE}/`, import.meta.url);

/** Shipped with every app: the package marker, the helpers the node modules import, model multiplexing, the deployment base classes. */
export const SHARED_MODULES = ['__init__', 'common', 'multiplex', 'runner'];

/** The package's files for these node modules, as `beamline_nodes/<module>.py` -> source. */
export function packageFiles(nodeModules: Iterable<string>): Map<string, string> {
  const files = new Map<string, string>();
  for (const m of [...SHARED_MODULES, ...nodeModules]) files.set(`${PY_PACKAGE}/${m}.py`, readFileSync(new URL(`${m}.py`, PY_PACKAGE_DIR), 'utf8'));
  return files;
}
