import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { defineNode, z } from 'beamline';
import { graph, post, TESTKIT } from './helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let child: ChildProcess | undefined;
afterAll(() => {
  child?.kill('SIGKILL');
});

it("exposes defineNode and z as the package's entry ('beamline')", () => {
  const k = defineNode({ kind: 'entry-check', title: 'Entry', description: 'd', inputs: [], outputs: [], config: z.object({ n: z.number().default(2) }), call: () => ({}) });
  expect(k).toMatchObject({ kind: 'entry-check', runsIn: 'replica', category: 'custom' });
  expect(k.config.parse({})).toEqual({ n: 2 });
});

it('beamline serve deploys a graph file with custom kinds from --nodes, serves it, and drains on SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'beamline-serve-'));
  const file = join(dir, 'graph.json');
  writeFileSync(file, JSON.stringify(graph('cli', [{ id: 'e', kind: 'test-echo', config: { tag: 'cli' } }], [['input', 'e'], ['e', 'output']])));
  child = spawn(process.execPath, [join(ROOT, 'bin/beamline.js'), 'serve', file, '--port', '0', '--nodes', TESTKIT, '--data-dir', join(dir, 'data'), '--no-persist'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    child!.stdout!.on('data', (d) => {
      out += d;
      const m = /Beamline on (http:\/\/\S+)/.exec(out);
      if (m && /graph cli v1 at POST \/cli: RUNNING/.test(out)) resolve(m[1]);
    });
    child!.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
  expect(out).toMatch(/e \(test-echo\): 1 RUNNING/);
  const r = await post(`${url}/cli`, { x: 'hello' });
  expect(r.status).toBe(200);
  expect(r.body).toMatchObject({ tag: 'cli', value: 'hello' });
  const catalog = (await (await fetch(`${url}/api/catalog`)).json()) as { kinds: { kind: string; custom: boolean }[] };
  expect(catalog.kinds.find((k) => k.kind === 'test-echo')?.custom).toBe(true);
  const code = await new Promise<number | null>((resolve) => {
    child!.once('exit', resolve);
    child!.kill('SIGTERM');
  });
  expect(code).toBe(0);
  child = undefined;
});
