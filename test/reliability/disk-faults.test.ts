import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { get, graph, post } from '../runtime/helpers.js';
import { type ServerProcess, startServerProcess } from './server-process.js';

// A full disk and a read-only data directory, made for real: a tiny tmpfs and a
// read-only bind mount (both need root or CAP_SYS_ADMIN; without it the test is
// skipped and says why). The server must refuse the write with 507 / 503 naming
// the data directory, keep serving what it served, and come back after a restart
// with exactly the state the API reported.

const root = resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
const mounts: string[] = [];
const procs: ServerProcess[] = [];
function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}
function sh(cmd: string, args: string[]): { ok: boolean; why: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0, why: (r.stderr || r.error?.message || `exit ${r.status}`).trim() };
}
function mount(args: string[], at: string): { ok: boolean; why: string } {
  const r = sh('mount', [...args, at]);
  if (r.ok) mounts.unshift(at);
  return r;
}
async function start(dir: string): Promise<ServerProcess> {
  const p = await startServerProcess(dir);
  procs.push(p);
  return p;
}
afterEach(async () => {
  for (const p of procs.splice(0)) await p.kill();
});
afterAll(() => {
  for (const m of mounts.splice(0)) sh('umount', [m]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// Probed once: can this process mount a tmpfs (root in a container with CAP_SYS_ADMIN)?
const probe = (() => {
  const d = mkdtempSync(join(tmpdir(), 'beamline-mount-probe-'));
  const r = sh('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', d]);
  if (r.ok) sh('umount', [d]);
  rmSync(d, { recursive: true, force: true });
  return r;
})();
if (!probe.ok) console.warn(`disk-faults: skipping the full-disk and read-only tests: cannot mount here (${probe.why})`);

const echo = (tag: string) =>
  graph('g', [{ id: 'n', kind: 'test-echo', config: { tag } }], [
    ['input', 'n'],
    ['n', 'output'],
  ]);
const del = async (url: string) => {
  const res = await fetch(url, { method: 'DELETE' });
  return { status: res.status, body: await res.json() };
};

/** Fill the filesystem holding dir until writes fail with ENOSPC. */
function fill(dir: string): void {
  const fd = openSync(join(dir, 'filler'), 'w');
  try {
    for (const size of [1 << 20, 64 << 10, 4 << 10, 512, 1]) {
      const buf = Buffer.alloc(size, 1);
      try {
        for (;;) writeSync(fd, buf);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      }
    }
  } finally {
    closeSync(fd);
  }
}

describe('the database cannot be written', () => {
  it.skipIf(!probe.ok)('on a full disk, DELETE, deploy and rollback answer 507 naming the data directory, change nothing, and a restart agrees', async () => {
    const mnt = tempDir('beamline-full-');
    const m = mount(['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs'], mnt);
    expect(m.ok, m.why).toBe(true);
    const data = join(mnt, 'data');
    const a = await start(data);
    expect((await post(`${a.url}/api/graphs`, echo('one'))).status).toBe(201);
    expect((await post(`${a.url}/api/graphs`, echo('two'))).body.version).toBe(2);

    fill(mnt);
    const gone = await del(`${a.url}/api/graphs/g`);
    expect(gone.status).toBe(507);
    expect(gone.body.error).toContain(data);
    expect(gone.body.error).toMatch(/full/);
    expect(gone.body.error).toMatch(/not deleted/);
    // Memory agrees with the database: still deployed, still answering.
    expect((await get(`${a.url}/api/graphs/g`)).body.version).toBe(2);
    expect((await post(`${a.url}/g`, { x: 1 })).body).toMatchObject({ tag: 'two', value: 1 });

    const deploy = await post(`${a.url}/api/graphs`, echo('three'));
    expect(deploy.status).toBe(507);
    expect(deploy.body.error).toContain(data);
    const back = await post(`${a.url}/api/graphs/g/rollback`, {});
    expect(back.status).toBe(507);
    expect(back.body.error).toContain(data);
    expect((await post(`${a.url}/g`, { x: 2 })).body).toMatchObject({ tag: 'two' });
    const listed = await get(`${a.url}/api/graphs/g/versions`);
    expect(listed.body.active).toBe(2);
    expect(listed.body.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    await a.kill('SIGKILL');

    // The operator frees space; the restarted server serves what the API said it served.
    rmSync(join(mnt, 'filler'));
    const b = await start(data);
    expect((await get(`${b.url}/api/graphs/g`)).body.version).toBe(2);
    expect((await post(`${b.url}/g`, { x: 3 })).body).toMatchObject({ tag: 'two', value: 3 });
    expect((await get(`${b.url}/api/graphs/g/versions`)).body.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    // With room again, the same DELETE works and sticks.
    expect((await del(`${b.url}/api/graphs/g`)).status).toBe(200);
    await b.kill('SIGKILL');
    const c = await start(data);
    expect((await get(`${c.url}/api/graphs/g`)).status).toBe(404);
  });

  it.skipIf(!probe.ok)('on a read-only data directory, the server serves what was active and DELETE and deploy answer 503 naming it', async () => {
    const src = tempDir('beamline-rw-');
    const a = await start(src);
    const first = await post(`${a.url}/api/graphs`, echo('one'));
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    // Killed, as a host whose disk went read-only would be: the WAL is left beside the database.
    await a.kill('SIGKILL');

    const view = tempDir('beamline-ro-');
    const bound = mount(['--bind', src], view);
    expect(bound.ok, bound.why).toBe(true);
    const ro = sh('mount', ['-o', 'remount,ro,bind', view]);
    expect(ro.ok, ro.why).toBe(true);
    const b = await start(view);
    expect((await post(`${b.url}/g`, { x: 1 })).body).toMatchObject({ tag: 'one' });
    const gone = await del(`${b.url}/api/graphs/g`);
    expect(gone.status).toBe(503);
    expect(gone.body.error).toContain(view);
    expect(gone.body.error).toMatch(/read-only/);
    expect((await post(`${b.url}/g`, { x: 2 })).body).toMatchObject({ tag: 'one' });
    const deploy = await post(`${b.url}/api/graphs`, echo('two'));
    expect(deploy.status).toBe(503);
    expect(deploy.body.error).toContain(view);
    expect((await post(`${b.url}/g`, { x: 3 })).body).toMatchObject({ tag: 'one' });
    await b.kill('SIGKILL');

    const c = await start(src);
    expect((await get(`${c.url}/api/graphs/g`)).body.version).toBe(1);
    expect((await post(`${c.url}/g`, { x: 4 })).body).toMatchObject({ tag: 'one' });
  });
});

describe('a database that cannot be read stops `beamline serve` with the file named', () => {
  function serve(data: string) {
    const { BEAMLINE_TOKEN: _, ...env } = process.env;
    return spawnSync(process.execPath, [join(root, 'bin/beamline.js'), 'serve', '--port', '0', '--data-dir', data], { cwd: root, env, encoding: 'utf8', timeout: 30_000 });
  }

  it('a 0-byte beamline.db is an error (exit 2), not an empty start', () => {
    const data = tempDir('beamline-empty-db-');
    const file = join(data, 'beamline.db');
    writeFileSync(file, '');
    const r = serve(data);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/0 bytes/);
    expect(r.stderr).toMatch(/backup|delete/);
  });

  it('a file that is not a database: exit 2 naming it', () => {
    const data = tempDir('beamline-bad-db-');
    mkdirSync(data, { recursive: true });
    const file = join(data, 'beamline.db');
    writeFileSync(file, 'this is not sqlite '.repeat(100));
    const r = serve(data);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/not a database/);
  });
});
