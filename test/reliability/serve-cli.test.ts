import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'beamline-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function serve(args: string[], env: NodeJS.ProcessEnv = {}) {
  const { BEAMLINE_TOKEN: _, ...rest } = process.env;
  return spawnSync(process.execPath, [join(root, 'bin/beamline.js'), 'serve', '--port', '0', '--data-dir', join(dir, 'data'), ...args], {
    cwd: root,
    env: { ...rest, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('beamline serve refuses unsafe settings before listening', () => {
  it('off loopback without a token: exit 2 naming --token, BEAMLINE_TOKEN and --insecure', () => {
    const r = serve(['--host', '0.0.0.0']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/refusing to listen on 0.0.0.0 without a token/);
    expect(r.stderr).toMatch(/--token.*BEAMLINE_TOKEN.*--insecure/);
  });

  it('a directory of custom modules without --allow-custom: exit 2', () => {
    const r = serve(['--nodes', dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/add --allow-custom/);
  });

  it('a body limit that is not a size is a usage error', () => {
    const r = serve(['--body-limit', 'lots']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not a size/);
  });
});
