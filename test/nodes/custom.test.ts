import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { custom } from '../../runtime/nodes/custom.js';
import { createServer } from '../../runtime/server/index.js';
import type { NodeContext } from '../../runtime/nodes/types.js';
import { custom as kind } from '../../shared/catalog/custom.js';
import { callContext, nodeContext } from './helpers.js';

let tmp: string;
let allowed: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'beamline-custom-'));
  allowed = join(tmp, 'allowed');
  mkdirSync(join(allowed, 'lib'), { recursive: true });
  // User modules are ES modules: the directory says so, as a project would.
  writeFileSync(join(allowed, 'package.json'), '{"type": "module"}\n');
  writeFileSync(
    join(allowed, 'lib', 'scale.ts'),
    `export default function scale(input: { values: number[] }, options: { factor?: number }) {
  return input.values.map((v) => v * (options.factor ?? 1));
}
export async function describe(input: string) {
  return { length: input.length };
}
export const notAFunction = 3;
`,
  );
  // Outside every allowed directory.
  writeFileSync(join(tmp, 'outside.js'), 'export default () => "pwned";\n');
  symlinkSync(join(tmp, 'outside.js'), join(allowed, 'link.js'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ctx = (): NodeContext => ({ ...nodeContext('custom'), moduleDirs: [allowed] });
const setup = (config: Record<string, unknown>, c: NodeContext = ctx()) => custom.setup(kind.config.parse(config), c);

describe('custom function node', () => {
  it('calls the default export with (input, options)', async () => {
    const node = await setup({ module: 'lib/scale.ts', options: { factor: 3 } });
    expect(await node.call({ in: { values: [1, 2] } }, callContext())).toEqual({ out: [3, 6] });
  });

  it('calls a named async export', async () => {
    const node = await setup({ module: 'lib/scale.ts', exportName: 'describe' });
    expect(await node.call({ in: 'hello' }, callContext())).toEqual({ out: { length: 5 } });
  });

  it('refuses paths that leave the allowed directories: traversal, absolute, symlink', async () => {
    await expect(setup({ module: '../outside.js' })).rejects.toThrow('config.module: "../outside.js" is outside the allowed module directories');
    await expect(setup({ module: 'lib/../../outside.js' })).rejects.toThrow(/config.module: .* is outside the allowed module directories/);
    await expect(setup({ module: join(tmp, 'outside.js') })).rejects.toThrow(/is outside the allowed module directories/);
    await expect(setup({ module: 'link.js' })).rejects.toThrow('config.module: "link.js" is outside the allowed module directories');
  });

  it('refuses every module when the operator allowed no directory', async () => {
    await expect(setup({ module: 'lib/scale.ts' }, { ...nodeContext('custom') })).rejects.toThrow(/config.module: custom code is off on this server/);
  });

  it('names a missing module or a missing export', async () => {
    await expect(setup({ module: 'lib/nope.ts' })).rejects.toThrow('config.module: no module file "lib/nope.ts" in the allowed module directories');
    await expect(setup({ module: 'lib/scale.ts', exportName: 'notAFunction' })).rejects.toThrow(
      'config.exportName: "lib/scale.ts" exports no function "notAFunction" (functions: default, describe)',
    );
  });
});

describe('custom function node through the runtime', () => {
  const graph = (module: string) => ({
    version: 1,
    name: 'scale',
    routePrefix: '/scale',
    nodes: [
      { id: 'input', kind: 'input', position: { x: 0, y: 0 }, config: { fields: { values: 'json' } }, deployment: {} },
      { id: 'fn', kind: 'custom', position: { x: 200, y: 0 }, config: { module, options: { factor: 10 } }, deployment: {} },
      { id: 'output', kind: 'output', position: { x: 400, y: 0 }, config: {}, deployment: {} },
    ],
    edges: [
      { source: 'input', sourceHandle: 'values', target: 'fn', targetHandle: 'in' },
      { source: 'fn', sourceHandle: 'out', target: 'output', targetHandle: 'in' },
    ],
  });

  it('runs a module from an allowed directory and refuses a graph naming one outside it', async () => {
    const server = await createServer({ port: 0, host: '127.0.0.1', cpus: 4, gpus: 0, dataDir: join(tmp, 'data'), moduleDirs: [allowed], log: () => {} });
    try {
      // The module receives the node's input value: here the `values` field.
      writeFileSync(join(allowed, 'lib', 'times.ts'), 'export default (xs: number[], o: { factor: number }) => xs.map((x) => x * o.factor);\n');
      const ok = await server.deploy(graph('lib/times.ts'));
      expect(ok.ok).toBe(true);
      const res = await fetch(`${server.url}/scale`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ values: [1, 2, 3] }) });
      const body = await res.json();
      expect({ status: res.status, body }).toEqual({ status: 200, body: [10, 20, 30] });
      const refused = await server.deploy(graph('../outside.js'));
      expect(refused.ok).toBe(false);
      expect(JSON.stringify(refused)).toMatch(/outside/);
    } finally {
      await server.close();
    }
  });
});
