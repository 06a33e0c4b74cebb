import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
import { beamline } from '../cli/run-cli.js';
import { get, post, splitGraph, startServer } from './helpers.js';

/**
 * The split kind through a real server: observed shares against the weights (binomial,
 * 4 standard deviations), sticky keys by header and by body field, live weight changes
 * (a new version, same replicas, only the keys that must move do), and bad weights.
 */

const N = 2000;
const within4Sigma = (count: number, n: number, p: number) => Math.abs(count - n * p) <= 4 * Math.sqrt(n * p * (1 - p));

/** The branch one request took: the output is keyed by the echo node that ran. */
async function branchOf(url: string, x: unknown, headers: Record<string, string> = {}): Promise<'a' | 'b'> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ x }) });
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(body)}`);
  const keys = Object.keys(body);
  if (keys.length !== 1 || (keys[0] !== 'ea' && keys[0] !== 'eb')) throw new Error(`not one branch: ${JSON.stringify(body)}`);
  return keys[0] === 'ea' ? 'a' : 'b';
}

/** Many requests, 50 at a time. */
async function inBatches<T>(n: number, f: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i += 50) out.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, k) => f(i + k)))));
  return out;
}

const put = async (url: string, body: unknown) => {
  const res = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
  return { status: res.status, body: (await res.json()) as any };
};

describe('split', () => {
  let s: BeamlineServer;
  beforeAll(async () => {
    s = await startServer();
  });
  afterAll(async () => {
    await s?.close();
  });

  it('sends each branch its share of 2,000 requests, counted in the status and /metrics', async () => {
    expect((await post(`${s.url}/api/graphs`, splitGraph('shares', [70, 30]))).status).toBe(201);
    const taken = await inBatches(N, (i) => branchOf(`${s.url}/shares`, { i }));
    const a = taken.filter((t) => t === 'a').length;
    expect(within4Sigma(a, N, 0.7), `${a} of ${N} on a, expected ${0.7 * N}`).toBe(true);
    const st = await get(`${s.url}/api/graphs/shares`);
    expect(st.body.nodes.s.split.branches).toEqual([
      { port: 'a', weight: 70, taken: a },
      { port: 'b', weight: 30, taken: N - a },
    ]);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toContain(`beamline_split_branch_total{graph="shares",node="s",branch="a"} ${a}`);
    expect(metrics).toContain(`beamline_split_branch_total{graph="shares",node="s",branch="b"} ${N - a}`);
  });

  it('keeps a header key on one branch, and on a weight change moves only the keys that must (new version, same replicas)', async () => {
    expect((await post(`${s.url}/api/graphs`, splitGraph('sticky', [70, 30], { header: 'X-User' }))).status).toBe(201);
    const before = await get(`${s.url}/api/graphs/sticky`);
    const replicaIds = (b: typeof before) => [...b.body.nodes.ea.replicas, ...b.body.nodes.eb.replicas].map((r: { id: string }) => r.id).sort();
    const users = 500;
    const first = await inBatches(N, (i) => branchOf(`${s.url}/sticky`, { i }, { 'x-user': `user-${i % users}` }));
    const home = new Map<number, 'a' | 'b'>();
    first.forEach((t, i) => {
      const u = i % users;
      expect(home.get(u) ?? t, `user-${u} changed branch`).toBe(t);
      home.set(u, t);
    });
    const onA = [...home.values()].filter((t) => t === 'a').length;
    expect(within4Sigma(onA, users, 0.7), `${onA} of ${users} keys on a`).toBe(true);

    const r = await put(`${s.url}/api/graphs/sticky/nodes/s/weights`, { weights: { a: 30, b: 70 } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'sticky', node: 's', version: before.body.version + 1, from: before.body.version });
    expect(r.body.branches.map((b: { weight: number }) => b.weight)).toEqual([30, 70]);
    const after = await get(`${s.url}/api/graphs/sticky`);
    expect(after.body.version).toBe(before.body.version + 1);
    expect(replicaIds(after)).toEqual(replicaIds(before));
    expect(after.body.graph.nodes.find((n: { id: string }) => n.id === 's').config.branches).toEqual([{ port: 'a', weight: 30 }, { port: 'b', weight: 70 }]);
    const versions = await get(`${s.url}/api/graphs/sticky/versions`);
    expect(versions.body.active).toBe(before.body.version + 1);
    const stored = await get(`${s.url}/api/graphs/sticky/versions/${before.body.version + 1}`);
    expect(stored.body.graph.nodes.find((n: { id: string }) => n.id === 's').config.branches[1].weight).toBe(70);

    const second = await inBatches(users, (u) => branchOf(`${s.url}/sticky`, {}, { 'x-user': `user-${u}` }));
    let moved = 0;
    second.forEach((t, u) => {
      if (t === home.get(u)) return;
      moved++;
      // b's weight only grew, so keys only move to b: the least that 70/30 -> 30/70 needs.
      expect(home.get(u), `user-${u} moved from b`).toBe('a');
    });
    // Expected share that must move: 0.7 - 0.3 of the keys.
    expect(within4Sigma(moved, users, 0.4), `${moved} of ${users} keys moved`).toBe(true);
    // Requests without the key are split at random.
    const keyless = await inBatches(200, () => branchOf(`${s.url}/sticky`, {}));
    expect(new Set(keyless).size).toBe(2);
  });

  it('keeps a body field key on one branch', async () => {
    expect((await post(`${s.url}/api/graphs`, splitGraph('byfield', [50, 50], { path: 'x.user' }))).status).toBe(201);
    const users = 200;
    const taken = await inBatches(N, (i) => branchOf(`${s.url}/byfield`, { user: i % users }));
    for (let i = users; i < N; i++) expect(taken[i], `user ${i % users}`).toBe(taken[i % users]);
    const onA = taken.slice(0, users).filter((t) => t === 'a').length;
    expect(within4Sigma(onA, users, 0.5), `${onA} of ${users} keys on a`).toBe(true);
  });

  it('refuses weights that do not sum to a positive number, naming the field', async () => {
    const bad = await post(`${s.url}/api/graphs`, splitGraph('zero', [0, 0]));
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toContainEqual(expect.objectContaining({ node: 's', path: '$.nodes[1].config.branches', message: expect.stringContaining('sum to a positive number') }));
    const negative = await post(`${s.url}/api/graphs`, splitGraph('negative', [-1, 2]));
    expect(negative.status).toBe(400);
    expect(negative.body.errors[0].path).toBe('$.nodes[1].config.branches[0].weight');

    expect((await post(`${s.url}/api/graphs`, splitGraph('live', [1, 1]))).status).toBe(201);
    const url = `${s.url}/api/graphs/live/nodes/s/weights`;
    const cases: [unknown, number, string][] = [
      [{ weights: { a: 0, b: 0 } }, 400, '$.weights'],
      [{ weights: { a: -1 } }, 400, '$.weights.a'],
      [{ weights: { a: 'x' } }, 400, '$.weights.a'],
      [{ weights: { c: 1 } }, 400, '$.weights.c'],
      [{ weights: {} }, 400, '$.weights'],
      [{ weights: [1, 2] }, 400, '$.weights'],
      [{}, 400, '$.weights'],
    ];
    for (const [body, status, path] of cases) {
      const r = await put(url, body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.body.errors.map((e: { path: string }) => e.path), JSON.stringify(body)).toContain(path);
    }
    expect((await put(url, '{not json')).status).toBe(400);
    const unknownNode = await put(`${s.url}/api/graphs/live/nodes/nope/weights`, { weights: { a: 1 } });
    expect(unknownNode).toMatchObject({ status: 404, body: { node: 'nope' } });
    const notSplit = await put(`${s.url}/api/graphs/live/nodes/ea/weights`, { weights: { a: 1 } });
    expect(notSplit).toMatchObject({ status: 400, body: { node: 'ea' } });
    expect((await put(`${s.url}/api/graphs/nowhere/nodes/s/weights`, { weights: { a: 1 } })).status).toBe(404);
    // Nothing refused made a version.
    expect((await get(`${s.url}/api/graphs/live/versions`)).body.versions).toHaveLength(1);
  });

  it('beamline split changes the weights of a running graph, and names what it refuses', async () => {
    expect((await post(`${s.url}/api/graphs`, splitGraph('cli', [50, 50]))).status).toBe(201);
    const ok = await beamline(['split', 'cli', 's', 'a=90', 'b=10', '--server', s.url]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('cli/s: a 90%, b 10% (version 2, was 1; no replica restarted)\n');
    expect((await get(`${s.url}/api/graphs/cli`)).body.nodes.s.split.branches.map((b: { weight: number }) => b.weight)).toEqual([90, 10]);
    const usage = await beamline(['split', 'cli', 's', 'a:90', '--server', s.url]);
    expect(usage).toMatchObject({ code: 2, stderr: expect.stringContaining('"a:90" is not port=weight') });
    const refused = await beamline(['split', 'cli', 's', 'c=1', '--server', s.url]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('node s has no branch "c" (its branches: a, b) (at $.weights.c)');
  });
});
