import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { get, graph, post, until } from '../runtime/helpers.js';
import { type ServerProcess, startServerProcess } from './server-process.js';

const dirs: string[] = [];
const procs: ServerProcess[] = [];
function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'beamline-restart-'));
  dirs.push(d);
  return d;
}
async function start(dir: string, port = 0, env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const p = await startServerProcess(dir, port, env);
  procs.push(p);
  return p;
}
afterEach(async () => {
  for (const p of procs.splice(0)) await p.kill();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const echo = (name: string, tag: string, deployment: Record<string, unknown> = {}) =>
  graph(name, [{ id: 'n', kind: 'test-echo', config: { tag }, deployment }], [
    ['input', 'n'],
    ['n', 'output'],
  ]);

describe('versions, rollback and restart', () => {
  it('numbers deploys, rolls back, and a restarted server serves the active version with its settings', async () => {
    const dir = dataDir();
    const a = await start(dir);
    const first = await post(`${a.url}/api/graphs`, echo('g', 'one'));
    expect(first.body).toMatchObject({ version: 1 });
    expect(first.status).toBe(201);
    const second = await post(`${a.url}/api/graphs`, echo('g', 'two'));
    expect(second.body.version).toBe(2);
    expect((await post(`${a.url}/g`, { x: 1 })).body.tag).toBe('two');

    const list = await get(`${a.url}/api/graphs/g/versions`);
    expect(list.body.active).toBe(2);
    expect(list.body.versions.map((v: { version: number; active: boolean }) => [v.version, v.active])).toEqual([
      [2, true],
      [1, false],
    ]);
    // The editor opens any version.
    const v1 = await get(`${a.url}/api/graphs/g/versions/1`);
    expect(v1.body.graph.nodes[1].config).toEqual({ tag: 'one' });
    expect((await get(`${a.url}/api/graphs/g/versions/7`)).status).toBe(404);
    expect((await get(`${a.url}/api/graphs/nope/versions`)).status).toBe(404);

    // A graph that does not compile is refused and leaves no version behind.
    const bad = await post(`${a.url}/api/graphs`, { ...echo('g', 'three'), edges: [] });
    expect(bad.status).toBe(400);
    expect((await get(`${a.url}/api/graphs/g/versions`)).body.versions).toHaveLength(2);

    const back = await post(`${a.url}/api/graphs/g/rollback`, {});
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ name: 'g', version: 3, rolledBackFrom: 1 });
    expect((await post(`${a.url}/g`, { x: 2 })).body).toMatchObject({ tag: 'one', value: 2 });
    const notThere = await post(`${a.url}/api/graphs/g/rollback`, { version: 9 });
    expect(notThere.status).toBe(404);
    expect(notThere.body.error).toMatch(/no version 9/);
    const wrongType = await post(`${a.url}/api/graphs/g/rollback`, { version: 'two' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error).toContain('$.version');

    // A second graph, with its own deployment settings, comes back too.
    expect((await post(`${a.url}/api/graphs?dataPlane=open`, echo('h', 'h1', { numReplicas: 2 }))).status).toBe(201);
    await a.kill('SIGKILL');

    const b = await start(dir);
    const st = await get(`${b.url}/api/graphs/g`);
    expect(st.body.version).toBe(3);
    expect((await post(`${b.url}/g`, { x: 3 })).body).toMatchObject({ tag: 'one', value: 3 });
    const h = await get(`${b.url}/api/graphs/h`);
    expect(h.body.nodes.n.replicas.filter((r: { state: string }) => r.state === 'RUNNING')).toHaveLength(2);
    expect((await get(`${b.url}/api/graphs/g/versions`)).body.versions.map((v: { version: number }) => v.version)).toEqual([3, 2, 1]);
    // Deleted graphs stay deleted after a restart.
    expect((await fetch(`${b.url}/api/graphs/h`, { method: 'DELETE' })).status).toBe(200);
    await b.kill('SIGKILL');
    const c = await start(dir);
    expect((await get(`${c.url}/api/graphs/h`)).status).toBe(404);
    expect((await get(`${c.url}/api/graphs/g`)).body.version).toBe(3);
  });

  it('a server killed in the middle of a deploy comes back serving the previous version', async () => {
    const dir = dataDir();
    const a = await start(dir);
    /** With `gateFile`, the load waits until that file exists: one never created is a load that never ends. */
    const slow = (tag: string, gateFile = '') =>
      graph('s', [{ id: 'n', kind: 'test-slowload', config: { tag, gateFile } }], [
        ['input', 'n'],
        ['n', 'output'],
      ]);
    expect((await post(`${a.url}/api/graphs`, slow('v1'))).status).toBe(201);
    // v2 never finishes loading: the deploy is recorded but not yet active when the server dies.
    const pending = post(`${a.url}/api/graphs`, slow('v2', join(dir, 'never-created'))).catch((e: Error) => e);
    await until(async () => (await get(`${a.url}/api/graphs/s/versions`)).body.versions.length === 2, 'v2 to be recorded');
    expect((await get(`${a.url}/api/graphs/s/versions`)).body.active).toBe(1);
    await a.kill('SIGKILL');
    expect(await pending).toBeInstanceOf(Error);

    const b = await start(dir);
    expect((await post(`${b.url}/s`, { x: 'hi' })).body).toEqual({ tag: 'v1', value: 'hi' });
    const versions = await get(`${b.url}/api/graphs/s/versions`);
    expect(versions.body.active).toBe(1);
    expect((await get(`${b.url}/api/graphs/s`)).body.version).toBe(1);
  });

  it('clients see connection errors while the server is down and 503 starting while it restores, never a wrong answer, and it comes back from the database', async () => {
    const dir = dataDir();
    const a = await start(dir);
    expect((await post(`${a.url}/api/graphs`, echo('live', 'live', { numReplicas: 2, maxOngoingRequests: 16 }))).status).toBe(201);
    const port = a.port;
    const url = `http://127.0.0.1:${port}/live`;
    let stop = false;
    const tally = { ok: 0, okAfterRestart: 0, wrong: [] as string[], connErrors: 0, starting: 0, otherStatus: [] as number[] };
    let restarted = false;
    const client = async (c: number) => {
      for (let i = 0; !stop; i++) {
        const id = `${c}-${i}`;
        try {
          const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: { id } }) });
          const body = await r.json();
          // Bound but still restoring: 503 `starting` with Retry-After, never a 404 for the graph coming back.
          if (r.status === 503 && body?.code === 'starting' && r.headers.get('retry-after')) tally.starting++;
          else if (r.status !== 200) tally.otherStatus.push(r.status);
          else if (body?.tag !== 'live' || body?.value?.id !== id) tally.wrong.push(JSON.stringify(body));
          else {
            tally.ok++;
            if (restarted) tally.okAfterRestart++;
          }
        } catch {
          tally.connErrors++;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const clients = Array.from({ length: 32 }, (_, c) => client(c));
    await until(() => tally.ok > 200, 'traffic before the crash');
    await a.kill('SIGKILL');
    const downAt = tally.connErrors;
    // The clients see the server gone before it comes back.
    await until(() => tally.connErrors > downAt, 'the clients to find the server gone');
    const b = await start(dir, port);
    restarted = true;
    await until(() => tally.okAfterRestart > 200, 'traffic after the restart');
    stop = true;
    await Promise.all(clients);
    expect(tally.wrong).toEqual([]);
    expect(tally.otherStatus).toEqual([]);
    expect(tally.connErrors).toBeGreaterThan(downAt);
    expect((await get(`${b.url}/api/graphs/live`)).body).toMatchObject({ version: 1, state: 'RUNNING' });
  });

  it('a graph opened or protected at deploy time keeps that rule after a restart', async () => {
    const dir = dataDir();
    const env = { BEAMLINE_TOKEN: 'restart-token-123' };
    const auth = { authorization: 'Bearer restart-token-123', 'content-type': 'application/json' };
    const a = await start(dir, 0, env);
    const deploy = (url: string, doc: unknown, query = '') => fetch(`${url}/api/graphs${query}`, { method: 'POST', headers: auth, body: JSON.stringify(doc) });
    expect((await deploy(a.url, echo('opened', 'o'), '?dataPlane=open')).status).toBe(201);
    expect((await deploy(a.url, echo('closed', 'c'))).status).toBe(201);
    await a.kill('SIGKILL');
    const b = await start(dir, 0, env);
    const anon = (path: string) => fetch(`${b.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x":1}' });
    expect((await anon('/opened')).status).toBe(200);
    expect((await anon('/closed')).status).toBe(401);
    expect((await fetch(`${b.url}/closed`, { method: 'POST', headers: auth, body: '{"x":1}' })).status).toBe(200);
  });
});
