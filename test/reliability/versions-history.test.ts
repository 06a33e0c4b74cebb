import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
import { DB_FILE } from '../../runtime/controlplane/store.js';
import { get, graph, post, startServer, until } from '../runtime/helpers.js';
import { type ServerProcess, startServerProcess } from './server-process.js';

// The version history of a persisted server (a real SQLite file): bounded, listed
// without reading documents, with each version's status; oversized graphs refused.

const dirs: string[] = [];
const servers: BeamlineServer[] = [];
const procs: ServerProcess[] = [];
function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'beamline-history-'));
  dirs.push(d);
  return d;
}
async function start(opts: Parameters<typeof startServer>[0] = {}): Promise<BeamlineServer> {
  const s = await startServer({ persist: true, dataDir: dataDir(), ...opts });
  servers.push(s);
  return s;
}
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const p of procs.splice(0)) await p.kill();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const echo = (tag: string, extra: Record<string, unknown> = {}) =>
  graph('g', [{ id: 'n', kind: 'test-echo', config: { tag } }], [
    ['input', 'n'],
    ['n', 'output'],
  ], extra);
const broken = graph('g', [{ id: 'n', kind: 'test-broken' }], [
  ['input', 'n'],
  ['n', 'output'],
]);
type Listed = { version: number; status: string; active: boolean; nodes: number; bytes: number };
const listed = async (url: string): Promise<Listed[]> => (await get(`${url}/api/graphs/g/versions`)).body.versions;

describe('version history', () => {
  it('keeps the newest --keep-versions versions and the active one, each with its status', async () => {
    const s = await start({ keepVersions: 3 });
    for (let i = 1; i <= 6; i++) expect((await post(`${s.url}/api/graphs`, echo(`t${i}`))).body.version).toBe(i);
    expect((await listed(s.url)).map((v) => [v.version, v.status])).toEqual([
      [6, 'active'],
      [5, 'superseded'],
      [4, 'superseded'],
    ]);
    // Four upgrades whose model does not load: refused, kept as never activated; v6 keeps serving and is kept.
    for (let i = 7; i <= 10; i++) {
      const r = await post(`${s.url}/api/graphs`, broken);
      expect(r.status).toBe(503);
      expect(r.body.error).toMatch(new RegExp(`version ${i} of g was not activated`));
    }
    expect((await post(`${s.url}/g`, { x: 1 })).body).toMatchObject({ tag: 't6' });
    expect((await listed(s.url)).map((v) => [v.version, v.status])).toEqual([
      [10, 'never-activated'],
      [9, 'never-activated'],
      [8, 'never-activated'],
      [6, 'active'],
    ]);
    // The file holds no more than the list shows.
    const db = new Database(join(s.controller.opts.dataDir, DB_FILE), { readonly: true });
    expect(db.prepare("SELECT version FROM versions WHERE name = 'g' ORDER BY version DESC").all()).toEqual([{ version: 10 }, { version: 9 }, { version: 8 }, { version: 6 }]);
    db.close();
    // Rolling back goes to the last version that served, not to a failed one.
    const back = await post(`${s.url}/api/graphs/g/rollback`, {});
    expect(back.status).toBe(404);
    expect(back.body.error).toMatch(/no earlier version/);
  });

  it('lists versions from their summaries: a damaged document does not stop the list', async () => {
    const s = await start();
    expect((await post(`${s.url}/api/graphs`, echo('one'))).status).toBe(201);
    expect((await post(`${s.url}/api/graphs`, echo('two'))).status).toBe(200);
    // Damage v1's stored document behind the server's back, in the real file.
    const db = new Database(join(s.controller.opts.dataDir, DB_FILE));
    db.prepare("UPDATE versions SET graph_json = '{not json' WHERE name = 'g' AND version = 1").run();
    db.close();
    const r = await get(`${s.url}/api/graphs/g/versions`);
    expect(r.status).toBe(200);
    expect(r.body.versions).toEqual([
      { version: 2, createdAt: expect.any(Number), active: true, status: 'active', nodes: 3, bytes: expect.any(Number) },
      { version: 1, createdAt: expect.any(Number), active: false, status: 'superseded', nodes: 3, bytes: expect.any(Number) },
    ]);
    expect(r.body.versions[1].bytes).toBe(Buffer.byteLength(JSON.stringify(echo('one'))));
    // No document in the list: only the summary fields above.
    expect(JSON.stringify(r.body)).not.toContain('test-echo');
  });

  it('refuses a graph over --max-graph-nodes or --max-graph-size with 413 naming $.nodes or $, and records nothing', async () => {
    const s = await start({ maxGraphNodes: 4, maxGraphBytes: 4096 });
    const many = graph('g', [1, 2, 3].map((i) => ({ id: `n${i}`, kind: 'test-echo' })), [
      ['input', 'n1'],
      ['n1', 'n2'],
      ['n2', 'n3'],
      ['n3', 'output'],
    ]);
    const r = await post(`${s.url}/api/graphs`, many);
    expect(r.status).toBe(413);
    expect(r.body.errors[0].path).toBe('$.nodes');
    expect(r.body.error).toMatch(/5 nodes.*up to 4 \(--max-graph-nodes\)/);
    const big = await post(`${s.url}/api/graphs`, echo('x', { description: 'd'.repeat(2000) }));
    expect(big.status).toBe(201);
    const huge = await post(`${s.url}/api/graphs`, echo('y', { description: 'd'.repeat(5000) }));
    expect(huge.status).toBe(413);
    expect(huge.body.errors[0].path).toBe('$');
    expect(huge.body.error).toMatch(/up to 4 KB \(--max-graph-size\)/);
    expect((await listed(s.url)).map((v) => v.version)).toEqual([1]);
    expect((await post(`${s.url}/g`, { x: 1 })).body).toMatchObject({ tag: 'x' });
  });

  it('a deploy in progress is listed as deploying, and as never activated after the server died in it', async () => {
    const dir = dataDir();
    const a = await startServerProcess(dir);
    procs.push(a);
    /** With `gateFile`, the load waits until that file exists: one never created is a load that never ends. */
    const slow = (tag: string, gateFile = '') =>
      graph('g', [{ id: 'n', kind: 'test-slowload', config: { tag, gateFile } }], [
        ['input', 'n'],
        ['n', 'output'],
      ]);
    expect((await post(`${a.url}/api/graphs`, slow('v1'))).status).toBe(201);
    const pending = post(`${a.url}/api/graphs`, slow('v2', join(dir, 'never-created'))).catch((e: Error) => e);
    await until(async () => (await listed(a.url)).length === 2, 'v2 to be recorded');
    expect((await listed(a.url)).map((v) => [v.version, v.status])).toEqual([
      [2, 'deploying'],
      [1, 'active'],
    ]);
    await a.kill('SIGKILL');
    await pending;
    const b = await startServerProcess(dir);
    procs.push(b);
    expect((await listed(b.url)).map((v) => [v.version, v.status])).toEqual([
      [2, 'never-activated'],
      [1, 'active'],
    ]);
  });
});
