import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DB_FILE, GraphStore, VersionNotFoundError } from '../../runtime/controlplane/store.js';

const root = resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'beamline-store-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const graph = (n: number) => ({ version: 1, name: 'rag', routePrefix: '/rag', nodes: Array.from({ length: n }, (_, i) => ({ id: `n${i}` })), edges: [] });

describe('GraphStore', () => {
  it('numbers every deploy of a name and marks the newest active', () => {
    const store = new GraphStore(tempDir());
    expect(store.deploy('rag', graph(1), { dataPlane: { auth: 'open' } }, 1000).version).toBe(1);
    expect(store.deploy('rag', graph(2), {}, 2000).version).toBe(2);
    expect(store.deploy('other', graph(3), {}, 3000).version).toBe(1);
    expect(store.versions('rag')).toEqual([
      { version: 2, createdAt: 2000, active: true, status: 'active', nodes: 2, bytes: JSON.stringify(graph(2)).length },
      { version: 1, createdAt: 1000, active: false, status: 'superseded', nodes: 1, bytes: JSON.stringify(graph(1)).length },
    ]);
    expect(store.get('rag', 1)).toMatchObject({ graph: graph(1), settings: { dataPlane: { auth: 'open' } }, createdAt: 1000 });
    expect(store.names()).toEqual(['other', 'rag']);
    store.close();
  });

  it('survives reopening: what was active is what a restart redeploys, with its settings', () => {
    const dir = tempDir();
    const a = new GraphStore(dir);
    a.deploy('rag', graph(1), { graphDir: '/x' }, 1);
    a.deploy('rag', graph(2), { graphDir: '/y' }, 2);
    a.deploy('gone', graph(1), {}, 3);
    a.deactivate('gone');
    a.close();
    const b = new GraphStore(dir);
    const active = b.active();
    expect(active.map((g) => [g.name, g.version, g.settings])).toEqual([['rag', 2, { graphDir: '/y' }]]);
    expect(active[0].graph).toEqual(graph(2));
    expect(b.versions('gone')).toHaveLength(1);
    b.close();
  });

  it('rolls back by adding a version that copies the target, previous by default', () => {
    const store = new GraphStore(tempDir());
    store.deploy('rag', graph(1), { a: 1 });
    store.deploy('rag', graph(2), { a: 2 });
    store.deploy('rag', graph(3), { a: 3 });
    const back = store.rollback('rag');
    expect(back).toMatchObject({ version: 4, rolledBackFrom: 2, graph: graph(2), settings: { a: 2 } });
    const toFirst = store.rollback('rag', 1);
    expect(toFirst).toMatchObject({ version: 5, rolledBackFrom: 1, graph: graph(1) });
    expect(store.activeVersion('rag')).toBe(5);
    expect(store.versions('rag')[0]).toMatchObject({ version: 5, active: true, rolledBackFrom: 1 });
    expect(() => store.rollback('rag', 99)).toThrow(VersionNotFoundError);
    expect(() => store.rollback('nope')).toThrow(/has no versions/);
    // A failed rollback changed nothing.
    expect(store.activeVersion('rag')).toBe(5);
    store.close();
  });

  it('two-phase deploy: a recorded version is not active until activated', () => {
    const store = new GraphStore(tempDir());
    store.deploy('rag', graph(1));
    const v2 = store.record('rag', graph(2));
    expect(store.activeVersion('rag')).toBe(1);
    expect(store.active()[0].version).toBe(1);
    store.activate('rag', v2.version);
    expect(store.activeVersion('rag')).toBe(2);
    expect(() => store.activate('rag', 7)).toThrow(/no version 7/);
    const v3 = store.record('rag', graph(3), {}, { rolledBackFrom: 1 });
    expect(store.discard('rag', 2)).toBe(false); // active: kept
    expect(store.discard('rag', v3.version)).toBe(true);
    expect(store.versions('rag').map((v) => v.version)).toEqual([2, 1]);
    expect(store.rollbackTarget('rag').version).toBe(1);
    store.close();
  });

  it('a failure inside a deploy leaves the previous version active and no new row', () => {
    const store = new GraphStore(tempDir());
    store.deploy('rag', graph(1));
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => store.deploy('rag', circular)).toThrow();
    expect(store.activeVersion('rag')).toBe(1);
    expect(store.versions('rag')).toHaveLength(1);
    store.close();
  });

  it('keeps the newest keepVersions versions of a name, and the active one whatever its age', () => {
    const store = new GraphStore(tempDir(), { keepVersions: 2 });
    store.deploy('rag', graph(1));
    for (let i = 2; i <= 5; i++) store.record('rag', graph(i));
    expect(store.versions('rag').map((v) => [v.version, v.status])).toEqual([
      [5, 'never-activated'],
      [4, 'never-activated'],
      [1, 'active'],
    ]);
    store.activate('rag', 5);
    expect(store.versions('rag').map((v) => [v.version, v.status])).toEqual([
      [5, 'active'],
      [4, 'never-activated'],
    ]);
    store.close();
  });

  it('a database from before version summaries gets them once, without marking old versions as failed', () => {
    const dir = tempDir();
    const old = new Database(join(dir, DB_FILE));
    old.exec(`CREATE TABLE versions (name TEXT NOT NULL, version INTEGER NOT NULL, graph_json TEXT NOT NULL, settings_json TEXT NOT NULL DEFAULT '{}',
                created_at INTEGER NOT NULL, rolled_back_from INTEGER, PRIMARY KEY (name, version));
              CREATE TABLE active (name TEXT PRIMARY KEY, version INTEGER NOT NULL, activated_at INTEGER NOT NULL);`);
    const insert = old.prepare('INSERT INTO versions (name, version, graph_json, created_at) VALUES (?, ?, ?, ?)');
    insert.run('rag', 1, JSON.stringify(graph(1)), 1);
    insert.run('rag', 2, JSON.stringify(graph(2)), 2);
    // v3 was recorded, then the process died before it was activated.
    insert.run('rag', 3, JSON.stringify(graph(3)), 3);
    old.prepare('INSERT INTO active VALUES (?, ?, ?)').run('rag', 2, 2);
    old.close();
    const store = new GraphStore(dir);
    expect(store.versions('rag').map((v) => [v.version, v.status, v.nodes])).toEqual([
      [3, 'never-activated', 3],
      [2, 'active', 2],
      [1, 'superseded', 1],
    ]);
    store.close();
  });

  it('a process killed (SIGKILL) in the middle of deploys leaves a consistent database', async () => {
    const dir = tempDir();
    let lastSeen = 0;
    for (let round = 0; round < 4; round++) {
      const child = spawn(process.execPath, [join(root, 'bin/tsx.js'), join(root, 'test/fixtures/reliability/deploy-loop.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise((r) => child.once('exit', r));
      // Let it deploy a random number of versions (it prints each one), then kill it without
      // warning, wherever it is in the next.
      const deploys = 1 + Math.floor(Math.random() * 10);
      let seen = 0;
      await new Promise<void>((ok) =>
        child.stdout.on('data', (chunk: Buffer) => {
          seen += chunk.toString().split('\n').length - 1;
          if (seen >= deploys) ok();
        }),
      );
      child.kill('SIGKILL');
      await exited;

      const raw = new Database(join(dir, DB_FILE), { readonly: true });
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      raw.close();
      const store = new GraphStore(dir);
      const versions = store.versions('loop');
      const active = store.activeVersion('loop')!;
      // Deploy is atomic: the active version is always the newest row, and complete.
      expect(active).toBe(versions[0].version);
      // Every round deployed at least one version more than the last.
      expect(active).toBeGreaterThanOrEqual(lastSeen + deploys);
      const v = store.get('loop', active)!;
      const g = v.graph as { seq: number; blob: string[] };
      expect(g.seq).toBe(active);
      expect(v.settings).toEqual({ seq: active });
      expect(g.blob).toHaveLength(1000);
      expect(g.blob[999].startsWith(`${active}:999:`)).toBe(true);
      lastSeen = active;
      store.close();
    }
  });
});
