import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
import type { ProfileJob } from '../../shared/tune-api.js';
import { get, graph, post, startServer, TESTKIT, until } from '../runtime/helpers.js';

let server: BeamlineServer;
let dataDir: string;

// Two known nodes in a row: 10 ms then 20 ms a call.
const pipeline = (name: string, first = 10) =>
  graph(
    name,
    [
      { id: 'a', kind: 'test-service', config: { ms: first } },
      { id: 'b', kind: 'test-service', config: { ms: 20 } },
    ],
    [
      ['input', 'a'],
      ['a', 'b'],
      ['b', 'output'],
    ],
  );

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'beamline-tune-api-'));
  server = await startServer({ dataDir, cpus: 2 });
}, 30_000);
afterAll(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('POST /api/tune and /api/profile refuse bad input, naming the field', () => {
  it.each([
    [{ qps: -1, p99Ms: 100 }, '$.qps'],
    [{ qps: 10 }, '$.p99Ms'],
    [{ qps: 10, p99Ms: 'fast' }, '$.p99Ms'],
    [{ qps: 10, p99Ms: 100, gpus: 0.5 }, '$.gpus'],
    [{ qps: 10, p99Ms: 100, speed: 1 }, 'speed'],
  ])('%j -> 400 at %s', async (extra, path) => {
    const r = await post(`${server.url}/api/tune`, { graph: pipeline('bad-target'), ...extra });
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: { path: string }) => e.path).join(' ')).toContain(path);
  });

  it('a graph that does not compile: 400 with the compiler errors', async () => {
    const g = pipeline('broken-graph');
    g.nodes[1].kind = 'test-nope';
    for (const route of ['/api/tune', '/api/profile']) {
      const r = await post(`${server.url}${route}`, { graph: g, qps: 10, p99Ms: 100, ...(route === '/api/profile' ? { qps: undefined, p99Ms: undefined } : {}) });
      expect(r.status).toBe(400);
      expect(r.body.errors.some((e: { node?: string; path: string }) => e.node === 'a' && e.path.includes('kind'))).toBe(true);
    }
  });

  it('the routes are in the OpenAPI document', async () => {
    const doc = (await get(`${server.url}/api/openapi.json`)).body;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/profile', '/api/profile/status', '/api/profile/{id}', '/api/tune']));
    expect(doc.paths['/api/tune'].post.responses['409']).toBeDefined();
  });

  it('no profile: 409 no_profile saying how to make one', async () => {
    const r = await post(`${server.url}/api/tune`, { graph: pipeline('unprofiled'), qps: 10, p99Ms: 100 });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe('no_profile');
    expect(r.body.fix).toMatch(/POST \/api\/profile/);
    // Asked first (as the editor does): 200, not fresh, with the same code and fix.
    const status = await post(`${server.url}/api/profile/status`, { graph: pipeline('unprofiled') });
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ fresh: false, code: 'no_profile', fix: r.body.fix });
  });

  it('profile: bad inputs, a bad job id and an unknown one', async () => {
    expect((await post(`${server.url}/api/profile`, { graph: pipeline('p'), inputs: [] })).status).toBe(400);
    expect((await post(`${server.url}/api/profile`, { graph: pipeline('p'), inputs: [{ x: 1 }], extra: 1 })).status).toBe(400);
    // Inputs that do not match the input node (its field is x: json) are refused naming the sample and the field.
    const mismatch = await post(`${server.url}/api/profile`, { graph: pipeline('p'), inputs: [{ x: 1 }, { y: 2 }] });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.path).toBe('$.inputs[1].x');
    expect(mismatch.body.error).toMatch(/inputs\[1\] does not match input node input: missing field "x"/);
    expect((await get(`${server.url}/api/profile/nope`)).status).toBe(400);
    const unknown = await get(`${server.url}/api/profile/00000000-0000-4000-8000-000000000000`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/no profile job/);
  });
});

describe('profile then tune through the API', () => {
  it('a profile job loads every custom kind module the server was given, not only the first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'beamline-tune-api-modules-'));
    // word-stats comes from the second module: a profiler given only the first could not load it.
    const two = await startServer({ dataDir: dir, cpus: 2, nodes: [TESTKIT, fileURLToPath(new URL('../../examples/custom-node/nodes/word-stats.ts', import.meta.url))] });
    try {
      const g = graph('two-modules', [{ id: 'w', kind: 'word-stats' }], [['input', 'w'], ['w', 'output']]);
      g.nodes = g.nodes.map((n) => (n.id === 'input' ? { ...n, config: { fields: { x: 'text' } } } : n));
      g.edges = g.edges.map((e) => (e.target === 'w' ? { ...e, targetHandle: 'text' } : e.source === 'w' ? { ...e, sourceHandle: 'stats' } : e));
      const started = await post(`${two.url}/api/profile`, { graph: g, inputs: [{ x: 'One sentence here. And another one.' }] });
      expect(started.status).toBe(202);
      const done = await until(async () => {
        const j = (await get(`${two.url}/api/profile/${started.body.id}`)).body as ProfileJob;
        return j.state !== 'running' ? j : undefined;
      }, 'the profile job to end', 120_000);
      expect(done.error).toBeUndefined();
      expect(done.state).toBe('done');
    } finally {
      await two.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);

  it('a profile job reports progress and ends done; the tune answers settings and the graph with them', async () => {
    const g = pipeline('api-tuned');
    const started = await post(`${server.url}/api/profile`, { graph: g, inputs: [{ x: 1 }, { x: 2 }] });
    expect(started.status).toBe(202);
    const job = started.body as ProfileJob;
    expect(job.state).toBe('running');
    const again = await post(`${server.url}/api/profile`, { graph: g });
    // The same graph while it is measured: the same job, not a second one.
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(job.id);
    const done = await until(async () => {
      const j = (await get(`${server.url}/api/profile/${job.id}`)).body as ProfileJob;
      return j.state !== 'running' ? j : undefined;
    }, 'the profile job to end', 120_000);
    expect(done.error).toBeUndefined();
    expect(done.state).toBe('done');
    expect(done.progress.total).toBeGreaterThan(0);
    expect(done.progress.done).toBe(done.progress.total);
    expect(done.profile?.nodes).toBeGreaterThanOrEqual(2);

    expect((await post(`${server.url}/api/profile/status`, { graph: g })).body).toEqual({ fresh: true });
    const tuned = await post(`${server.url}/api/tune`, { graph: g, qps: 20, p99Ms: 500 });
    expect(tuned.status).toBe(200);
    expect(tuned.body.ok).toBe(true);
    expect(Object.keys(tuned.body.settings).sort()).toEqual(['a', 'b']);
    expect(tuned.body.prediction.p99Ms).toBeLessThanOrEqual(500);
    const b = tuned.body.graph.nodes.find((n: { id: string }) => n.id === 'b');
    expect(b.deployment.numReplicas).toBe(tuned.body.settings.b.numReplicas);

    // The same graph's profile from another machine: refused, saying to profile again.
    const [stored] = readdirSync(join(dataDir, 'profiles')).filter((f) => f.startsWith('api-tuned-'));
    const path = join(dataDir, 'profiles', stored);
    const profile = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...profile, machine: { ...profile.machine, cpus: profile.machine.cpus + 62 } }));
    const stale = await post(`${server.url}/api/tune`, { graph: g, qps: 20, p99Ms: 500 });
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe('stale_profile');
    expect(stale.body.error).toMatch(/another machine \(cpus: \d+ vs \d+/);
    expect(stale.body.fix).toMatch(/POST \/api\/profile/);
    expect((await post(`${server.url}/api/profile/status`, { graph: g })).body).toMatchObject({ fresh: false, code: 'stale_profile' });

    // Another version of the graph (a config changed) has no profile.
    const changed = await post(`${server.url}/api/tune`, { graph: pipeline('api-tuned', 11), qps: 20, p99Ms: 500 });
    expect(changed.status).toBe(409);
    expect(changed.body.code).toBe('no_profile');
  });

  it('a node that cannot be profiled fails the job, naming the node', async () => {
    const g = graph('api-broken', [{ id: 'dead', kind: 'test-broken' }], [
      ['input', 'dead'],
      ['dead', 'output'],
    ]);
    const started = await post(`${server.url}/api/profile`, { graph: g, inputs: [{ x: 1 }] });
    expect(started.status).toBe(202);
    const done = await until(async () => {
      const j = (await get(`${server.url}/api/profile/${started.body.id}`)).body as ProfileJob;
      return j.state !== 'running' ? j : undefined;
    }, 'the profile job to end', 60_000);
    expect(done.state).toBe('failed');
    expect(done.error).toMatch(/dead/);
    const tuned = await post(`${server.url}/api/tune`, { graph: g, qps: 5, p99Ms: 500 });
    expect(tuned.status).toBe(409);
  });
});
