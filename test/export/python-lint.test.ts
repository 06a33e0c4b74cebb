import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { exportGraph, exportGraphs } from '../../runtime/export/export.js';
import { PY_PACKAGE_DIR } from '../../runtime/export/py-package.js';
import { writeExport } from '../../runtime/export/write.js';
import { exportTemplate } from '../../runtime/kinds.js';
import { missingTool } from '../system-tools.js';
import { exampleGraphs, FIXTURES, removeTempDirs, tempDir } from './helpers.js';

// The Python the export ships is real .py files (runtime/export/py/beamline_nodes/): each
// compiles and passes pyflakes (Debian's pyflakes3, which npm test installs), and so does every
// generated app around them.

const PYFLAKES = '/usr/bin/pyflakes3';
const NO_PYFLAKES = missingTool(PYFLAKES, 'pyflakes3');
const pkg = fileURLToPath(PY_PACKAGE_DIR);

const run = (cmd: string, args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, out: `${r.stdout}${r.stderr}`.trim() };
};
// Bytecode goes to a temporary folder, never beside the sources.
const compile = (paths: string[]) => run('python3', ['-m', 'py_compile', ...paths], { PYTHONPYCACHEPREFIX: tempDir('pycache') });

/** Every export the examples and the test graphs make, written out; the folders' app/ directories. */
function exportedApps(): string[] {
  const graphs = [
    ...exampleGraphs().filter((g) => (JSON.parse(g.text).nodes as { kind: string }[]).every((n) => exportTemplate(n.kind))),
    ...['parallel', 'switch', 'split', 'awkward', 'unequal', 'multiplexed'].map((n) => ({ name: n, text: readFileSync(join(FIXTURES, `graphs/${n}.json`), 'utf8') })),
  ];
  const results = [
    ...graphs.map((g) => exportGraph(g.text, { target: 'rayservice' })),
    exportGraphs(['parallel', 'switch'].map((n) => readFileSync(join(FIXTURES, `graphs/${n}.json`), 'utf8')), { target: 'serve-config' }),
  ];
  return results.map((r, i) => {
    const dir = tempDir(`lint-${i}`);
    writeExport(dir, r, { modelsDir: dir, dataDir: dir, copyAssets: false });
    return join(dir, 'app');
  });
}

describe('the exported Python is Python', () => {
  afterAll(removeTempDirs);
  const apps = exportedApps();

  it('the package and every generated app compile', () => {
    expect(compile([pkg, ...apps].flatMap((d) => run('find', [d, '-name', '*.py']).out.split('\n')))).toEqual({ status: 0, out: '' });
  });

  it.skipIf(NO_PYFLAKES)('pyflakes finds nothing in the package or in any generated app', () => {
    expect(run(PYFLAKES, [pkg, ...apps])).toEqual({ status: 0, out: '' });
  });

  it.skipIf(NO_PYFLAKES)('pyflakes reports what it should (the check above can fail)', () => {
    const file = join(tempDir('lint-bad'), 'bad.py');
    writeFileSync(file, 'import os\n\n\ndef f():\n    return undefined_name\n');
    const r = run(PYFLAKES, [file]);
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/'os' imported but unused/);
    expect(r.out).toMatch(/undefined name 'undefined_name'/);
  });
});
