import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { custom } from '../../runtime/nodes/custom.js';
import type { NodeContext } from '../../runtime/nodes/types.js';
import { custom as kind } from '../../shared/catalog/custom.js';
import { callContext, nodeContext } from './helpers.js';

let tmp: string;
let allowed: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'beamline-custom-'));
  allowed = join(tmp, 'allowed');
  mkdirSync(join(allowed, 'lib'), { recursive: true });
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
