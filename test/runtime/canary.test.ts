import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
import type { ReleaseStatus } from '../../shared/release.js';
import { get, post, startServer, until, versionGraph } from './helpers.js';

// Canary releases through a real server: a healthy canary is promoted step by step, a worse one
// is rolled back by the judge on its own, and no client request fails on the way.

let server: BeamlineServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

function deploy(g: unknown, query = '') {
  return post(`${server.url}/api/graphs${query}`, g);
}

/** Calls the graph `concurrency` at a time until its release has ended; every answer is kept. */
async function driveUntilEnded(name: string, concurrency = 1, max = 2000): Promise<{ statuses: number[]; labels: string[]; release: ReleaseStatus }> {
  const statuses: number[] = [];
  const labels: string[] = [];
  for (let i = 0; i < max; i += concurrency) {
    const batch = await Promise.all(Array.from({ length: concurrency }, (_, k) => post(`${server.url}/${name}`, { x: { n: i + k } })));
    for (const r of batch) {
      statuses.push(r.status);
      labels.push(r.body?.label);
    }
    const rel = server.controller.release(name)!.status();
    if (rel.state !== 'running') return { statuses, labels, release: rel };
  }
  throw new Error(`the release of ${name} did not end within ${max} requests`);
}

describe('canary releases', () => {
  it('promotes a healthy canary 10 → 50 → 100 and makes it the active version', async () => {
    expect((await deploy(versionGraph('healthy', { label: 'v1' }))).status).toBe(201);
    const r = await deploy(versionGraph('healthy', { label: 'v2' }), '?canary=10&steps=10,50,100&windowRequests=10&maxP99Ratio=100');
    expect(r.status).toBe(200);
    expect(r.body.version).toBe(2);
    expect(r.body.release).toMatchObject({ mode: 'canary', state: 'running', share: 10, stableVersion: 1, candidateVersion: 2 });
    // The stable version's status carries the release (socket.io pushes send the same status).
    expect((await get(`${server.url}/api/graphs/healthy`)).body.release).toMatchObject({ state: 'running', share: 10 });

    const run = await driveUntilEnded('healthy');
    expect(run.statuses.every((s) => s === 200)).toBe(true);
    expect(run.release.state).toBe('promoted');
    expect(run.release.decisions.map((d) => [d.action, d.fromShare, d.toShare])).toEqual([
      ['start', 0, 10],
      ['promote', 10, 50],
      ['complete', 50, 100],
    ]);
    for (const d of run.release.decisions.slice(1)) {
      expect(d.by).toBe('auto');
      expect(d.candidate!.requests).toBeGreaterThanOrEqual(10);
      expect(d.stable!.requests).toBeGreaterThan(0);
      expect(d.reason).toContain('within limits');
    }
    // Both versions answered while the canary ran; the candidate answers everything after.
    expect(run.labels).toContain('v1');
    expect(run.labels).toContain('v2');
    expect((await post(`${server.url}/healthy`, { x: {} })).body.label).toBe('v2');
    const versions = await get(`${server.url}/api/graphs/healthy/versions`);
    expect(versions.body.active).toBe(2);
    expect(versions.body.versions[0].release).toMatchObject({ state: 'promoted', candidateVersion: 2 });
    expect(versions.body.versions[0].release.decisions).toHaveLength(3);
    expect(server.controller.get('healthy')!.version).toBe(2);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/beamline_release_decisions_total\{graph="healthy",action="complete"\} 1/);
  });

  it('rolls back a canary that fails on a share of requests, and every client request gets 200', async () => {
    await deploy(versionGraph('flaky', { label: 'v1' }));
    const r = await deploy(versionGraph('flaky', { label: 'v2', failEvery: 2 }), '?canary=20&steps=20,100&windowRequests=10');
    expect(r.status).toBe(200);
    // While it runs, the share is a gauge per version.
    const during = await (await fetch(`${server.url}/metrics`)).text();
    expect(during).toMatch(/beamline_release_share\{graph="flaky",version="2"\} 20/);
    expect(during).toMatch(/beamline_release_share\{graph="flaky",version="1"\} 80/);

    const run = await driveUntilEnded('flaky', 4);
    expect(run.statuses.filter((s) => s !== 200)).toEqual([]);
    expect(run.release.state).toBe('rolled-back');
    const last = run.release.decisions.at(-1)!;
    expect(last).toMatchObject({ action: 'rollback', by: 'auto', fromShare: 20, toShare: 0 });
    expect(last.reason).toMatch(/canary error rate .* > stable/);
    expect(last.candidate!.errorRate).toBeGreaterThan(0.3);
    expect(last.stable!.errors).toBe(0);
    // The failed canary requests were answered by the stable version.
    expect(run.release.replayed).toBeGreaterThanOrEqual(last.candidate!.errors);
    expect(run.labels.filter((l) => l !== 'v1' && l !== 'v2')).toEqual([]);
    expect((await post(`${server.url}/flaky`, { x: {} })).body.label).toBe('v1');
    const versions = await get(`${server.url}/api/graphs/flaky/versions`);
    expect(versions.body.active).toBe(1);
    expect(versions.body.versions[0].release).toMatchObject({ state: 'rolled-back' });
    expect((await get(`${server.url}/api/graphs/flaky/release`)).body.state).toBe('rolled-back');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/beamline_release_decisions_total\{graph="flaky",action="rollback"\} 1/);
    expect(metrics).not.toMatch(/beamline_release_share\{graph="flaky"/);
  });

  it('rolls back a slower canary on p99', async () => {
    await deploy(versionGraph('slow', { label: 'v1' }));
    // 600 ms a call against a stable version that does not sleep: far beyond 1.5 × stable's p99.
    const r = await deploy(versionGraph('slow', { label: 'v2', sleepMs: 600 }), '?canary=50&windowRequests=10');
    expect(r.body.release.canary).toMatchObject({ steps: [50, 100], maxP99Ratio: 1.5 });
    const run = await driveUntilEnded('slow', 4);
    expect(run.statuses.every((s) => s === 200)).toBe(true);
    expect(run.release.state).toBe('rolled-back');
    const last = run.release.decisions.at(-1)!;
    expect(last.reason).toMatch(/canary p99 [\d.]+ ms > 1.5 × stable/);
    expect(last.candidate!.p99Ms).toBeGreaterThanOrEqual(600);
    expect(last.candidate!.errors).toBe(0);
  });

  it('lets a person promote, roll back or abort, and refuses an action once the release has ended', async () => {
    await deploy(versionGraph('manual', { label: 'v1' }));
    await deploy(versionGraph('manual', { label: 'v2' }), '?canary=10&windowRequests=1000');
    const p = await post(`${server.url}/api/graphs/manual/release/promote`, {});
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ state: 'promoted', share: 100 });
    expect(p.body.decisions.at(-1)).toMatchObject({ action: 'complete', by: 'user' });
    expect((await post(`${server.url}/manual`, { x: {} })).body.label).toBe('v2');
    const again = await post(`${server.url}/api/graphs/manual/release/abort`, {});
    expect(again.status).toBe(409);
    expect(again.body.error).toContain('has ended');

    await deploy(versionGraph('manual', { label: 'v3' }), '?canary=10&windowRequests=1000');
    const back = await post(`${server.url}/api/graphs/manual/release/rollback`, {});
    expect(back.body).toMatchObject({ state: 'rolled-back', candidateVersion: 3 });
    expect((await post(`${server.url}/manual`, { x: {} })).body.label).toBe('v2');
    expect((await get(`${server.url}/api/graphs/manual/versions`)).body.active).toBe(2);
  });

  it('refuses bad release input with a 4xx naming the parameter', async () => {
    const g = versionGraph('badinput', { label: 'v1' });
    // No stable version yet: nothing to compare a canary with.
    const first = await deploy(g, '?canary=10');
    expect(first.status).toBe(409);
    expect(first.body.errors[0].path).toBe('?canary');
    expect(first.body.error).toContain('no stable version');
    await deploy(g);
    const cases: [string, string][] = [
      ['?canary=150', '?canary'],
      ['?canary=0', '?canary'],
      ['?canary=-5', '?canary'],
      ['?canary=ten', '?canary'],
      ['?canary=10&steps=10,5,100', '?steps'],
      ['?canary=10&steps=20,50,100', '?steps'],
      ['?canary=10&steps=10,50', '?steps'],
      ['?canary=10&windowRequests=3', '?windowRequests'],
      ['?canary=10&maxP99Ratio=0.5', '?maxP99Ratio'],
      ['?canary=10&checkEquals=1', '?checkEquals'],
      ['?shadow=0', '?shadow'],
      ['?shadow=101', '?shadow'],
      ['?shadow=50&tolerance=2', '?tolerance'],
      ['?shadow=50&canary=10', '?shadow'],
    ];
    for (const [query, path] of cases) {
      const r = await deploy(versionGraph('badinput', { label: 'v2' }), query);
      expect(r.status, query).toBe(400);
      expect(r.body.errors[0].path, query).toBe(path);
      expect(r.body.error, query).toContain(path);
    }
    const started = await deploy(versionGraph('badinput', { label: 'v2' }), '?canary=10&windowRequests=1000');
    expect(started.status).toBe(200);
    const second = await deploy(versionGraph('badinput', { label: 'v3' }), '?shadow=10');
    expect(second.status).toBe(409);
    expect(second.body.error).toContain('is running');
    expect((await post(`${server.url}/api/graphs/badinput/release/jump`, {})).status).toBe(400);
    expect((await get(`${server.url}/api/graphs/nothing-here/release`)).status).toBe(404);
    // A plain deploy over a running release ends it (aborted) and serves the new version.
    const over = await deploy(versionGraph('badinput', { label: 'v4' }));
    expect(over.status).toBe(200);
    await until(() => server.controller.release('badinput')?.state === 'aborted', 'the release to be aborted');
    expect((await post(`${server.url}/badinput`, { x: {} })).body.label).toBe('v4');
  });
});
