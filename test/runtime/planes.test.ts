import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

// The data plane owns the interface where the two planes meet (runtime/dataplane/interface.ts):
// no file of runtime/dataplane/ may import the control plane or the server that composes them,
// directly or through anything it imports, types included (docs/runtime.md, Layout).

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const FORBIDDEN = ['runtime/controlplane/', 'runtime/server/'];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : /\.(ts|js)$/.test(name) ? [p] : [];
  });
}

/** The file a relative specifier names: `.js` written for a `.ts` file, or a folder's index. */
function resolveImport(from: string, spec: string): string | undefined {
  const p = resolve(dirname(from), spec);
  for (const c of [p, p.replace(/\.js$/, '.ts'), `${p}.ts`, join(p, 'index.ts')]) if (existsSync(c) && statSync(c).isFile()) return c;
  return undefined;
}

/** Every relative import of a file: static, `import type`, `export ... from` and dynamic import(). */
function importsOf(file: string): string[] {
  const found = ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
  return found.filter((s) => s.startsWith('.')).flatMap((s) => resolveImport(file, s) ?? []);
}

/** Import chains from a data-plane file to a forbidden one, one per data-plane file that has any. */
function planeViolations(root: string): string[] {
  const rel = (p: string) => relative(root, p).split('\\').join('/');
  const out: string[] = [];
  for (const start of filesUnder(join(root, 'runtime/dataplane'))) {
    const via = new Map<string, string | undefined>([[start, undefined]]);
    const queue = [start];
    while (queue.length > 0) {
      const file = queue.shift()!;
      if (FORBIDDEN.some((f) => rel(file).startsWith(f))) {
        const chain: string[] = [];
        for (let p: string | undefined = file; p; p = via.get(p)) chain.unshift(rel(p));
        out.push(chain.join(' -> '));
        break;
      }
      for (const next of importsOf(file)) {
        if (via.has(next) || next.includes('node_modules')) continue;
        via.set(next, file);
        queue.push(next);
      }
    }
  }
  return out;
}

describe('the data plane depends on nothing of the control plane', () => {
  it('no file of runtime/dataplane reaches runtime/controlplane or runtime/server, types included', () => {
    expect(planeViolations(ROOT)).toEqual([]);
  });

  const tmp = mkdtempSync(join(tmpdir(), 'beamline-planes-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(tmp, path)), { recursive: true });
    writeFileSync(join(tmp, path), text);
  };

  it('finds a type-only import of the control plane, also through a module in between', () => {
    write('runtime/controlplane/controller.ts', 'export class Controller {}\n');
    write('runtime/shared-helper.ts', "export type { Controller } from './controlplane/controller.js';\n");
    write('runtime/dataplane/direct.ts', "import type { Controller } from '../controlplane/controller.js';\nexport type C = Controller;\n");
    write('runtime/dataplane/indirect.ts', "export async function f() { return import('../shared-helper.js'); }\n");
    write('runtime/dataplane/clean.ts', 'export const x = 1;\n');
    expect(planeViolations(tmp).sort()).toEqual([
      'runtime/dataplane/direct.ts -> runtime/controlplane/controller.ts',
      'runtime/dataplane/indirect.ts -> runtime/shared-helper.ts -> runtime/controlplane/controller.ts',
    ]);
  });
});
