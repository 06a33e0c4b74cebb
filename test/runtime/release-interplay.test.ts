import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
import { get, post, splitGraph, startServer, versionGraph } from './helpers.js';

// A release beside the rest of the runtime: the candidate's node figures apart from the
// stable version's, the capacity both take, and what a weight change, a rollback, a DELETE
// and a restart do while a release runs (docs/releases.md).

async function send(url: string, method: string, body?: unknown) {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
  return { status: res.status, body: (await res.json()) as any };
}

describe('releases beside the rest of the runtime', () => {
  let server: BeamlineServer;
  // Four replicas in all: a release of a 3-replica graph cannot fit beside it, a redeploy can.
  beforeAll(async () => {
    server = await startServer({ maxReplicas: 4 });
  });
  afterAll(async () => {
    await server?.close();
  });
  const metricsText = async () => (await fetch(`${server.url}/metrics`)).text();

  it("counts the candidate's node calls apart from the stable version's, and the graph status carries the candidate's nodes", async () => {
    expect((await post(`${server.url}/api/graphs`, versionGraph('counted', { label: 'v1' }))).status).toBe(201);
    expect((await post(`${server.url}/api/graphs?canary=50&windowRequests=1000`, versionGraph('counted', { label: 'v2' }))).status).toBe(200);
    // At 50 % exactly every other request runs on the candidate.
    for (let i = 0; i < 10; i++) expect((await post(`${server.url}/counted`, { x: { n: i } })).status).toBe(200);
    const status = (await get(`${server.url}/api/graphs/counted`)).body;
    expect(status.version).toBe(1);
    expect(status.nodes.m.metrics.requests).toBe(5);
    expect(status.candidate.version).toBe(2);
    expect(status.candidate.nodes.m.metrics.requests).toBe(5);
    expect(status.candidate.nodes.m.replicas.map((r: { state: string }) => r.state)).toEqual(['RUNNING']);
    // The stable series keep their labels; the candidate's carry its version.
    const during = await metricsText();
    expect(during).toMatch(/beamline_deployment_request_counter\{graph="counted",node="m",kind="test-version"\} 5\n/);
    expect(during).toMatch(/beamline_deployment_request_counter\{graph="counted",node="m",kind="test-version",version="2"\} 5\n/);
    expect(during).toMatch(/beamline_deployment_processing_latency_ms_count\{graph="counted",node="m",kind="test-version",version="2"\} 5\n/);
    expect(during).toMatch(/beamline_replicas\{graph="counted",node="m",kind="test-version",state="RUNNING"\} 1\n/);
    expect(during).toMatch(/beamline_replicas\{graph="counted",node="m",kind="test-version",version="2",state="RUNNING"\} 1\n/);

    // Promoted, the candidate counts in the graph's series and its own are gone.
    expect((await post(`${server.url}/api/graphs/counted/release/promote`, {})).status).toBe(200);
    expect((await post(`${server.url}/counted`, { x: {} })).body.label).toBe('v2');
    const after = await metricsText();
    expect(after).not.toMatch(/graph="counted"[^}]*version="2"/);
    expect(after).toMatch(/beamline_deployment_request_counter\{graph="counted",node="m",kind="test-version"\} 6\n/);
    const promoted = (await get(`${server.url}/api/graphs/counted`)).body;
    expect(promoted.candidate).toBeUndefined();
    expect(promoted.nodes.m.metrics.requests).toBe(6);
    expect((await send(`${server.url}/api/graphs/counted`, 'DELETE')).status).toBe(200);
  });

  it('refuses a release that does not fit beside the stable version, naming what does not fit; a redeploy of that size fits', async () => {
    expect((await post(`${server.url}/api/graphs`, versionGraph('big', { label: 'v1' }, { numReplicas: 3 }))).status).toBe(201);
    const canary = await post(`${server.url}/api/graphs?canary=10`, versionGraph('big', { label: 'v2' }, { numReplicas: 3 }));
    expect(canary.status).toBe(409);
    expect(canary.body.error).toMatch(/^the canary of big does not fit in this server's replica cap/);
    expect(canary.body.errors[0]).toMatchObject({ node: 'm', path: '$.nodes[1].deployment.numReplicas' });
    expect(canary.body.errors[0].message).toContain('next to version 1 of big (a canary runs beside it)');
    expect(canary.body.errors[0].fix).toContain('deploy without ?canary');
    const shadow = await post(`${server.url}/api/graphs?shadow=100`, versionGraph('big', { label: 'v2' }, { numReplicas: 2 }));
    expect(shadow.status).toBe(409);
    expect(shadow.body.error).toMatch(/^the shadow of big does not fit/);
    // Five replicas never fit under a cap of four, release or not.
    expect((await post(`${server.url}/api/graphs?canary=10`, versionGraph('big', { label: 'v2' }, { numReplicas: 5 }))).status).toBe(400);
    // Nothing was started or recorded as a release; a plain redeploy replaces version 1 and fits.
    expect((await get(`${server.url}/api/graphs/big/release`)).status).toBe(404);
    const redeploy = await post(`${server.url}/api/graphs`, versionGraph('big', { label: 'v2' }, { numReplicas: 3 }));
    expect(redeploy.status).toBe(200);
    expect((await send(`${server.url}/api/graphs/big`, 'DELETE')).status).toBe(200);
  });

  it('refuses new split weights and a version rollback while a release runs, naming the release and how to end it', async () => {
    expect((await post(`${server.url}/api/graphs`, splitGraph('weighed', [1, 0]))).status).toBe(201);
    expect((await post(`${server.url}/api/graphs?canary=10&windowRequests=1000`, splitGraph('weighed', [0, 1]))).status).toBe(200);
    const weights = await send(`${server.url}/api/graphs/weighed/nodes/s/weights`, 'PUT', { weights: { a: 0.5, b: 0.5 } });
    expect(weights.status).toBe(409);
    expect(weights.body.error).toContain('a canary release of weighed is running (version 2 beside 1)');
    expect(weights.body.errors[0].fix).toContain('POST /api/graphs/weighed/release/promote|rollback|abort');
    const back = await post(`${server.url}/api/graphs/weighed/rollback`, {});
    expect(back.status).toBe(409);
    expect(back.body.error).toContain('a canary release of weighed is running');
    // Nothing changed: version 1 serves with its weights, the release runs on.
    const versions = (await get(`${server.url}/api/graphs/weighed/versions`)).body;
    expect(versions.active).toBe(1);
    expect(versions.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect(server.controller.release('weighed')!.state).toBe('running');
    // Ended, the weights can change again (on the stable version, which kept the route).
    expect((await post(`${server.url}/api/graphs/weighed/release/abort`, {})).status).toBe(200);
    const after = await send(`${server.url}/api/graphs/weighed/nodes/s/weights`, 'PUT', { weights: { a: 0.5, b: 0.5 } });
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ from: 1, version: 3 });
    expect((await send(`${server.url}/api/graphs/weighed`, 'DELETE')).status).toBe(200);
  });

  it('a DELETE during a release stops both versions before it answers and records the release aborted', async () => {
    expect((await post(`${server.url}/api/graphs`, versionGraph('gone', { label: 'v1' }))).status).toBe(201);
    expect((await post(`${server.url}/api/graphs?shadow=100`, versionGraph('gone', { label: 'v2' }))).status).toBe(200);
    expect(server.controller.nodes().filter((n) => n.graph === 'gone')).toHaveLength(2);
    expect((await send(`${server.url}/api/graphs/gone`, 'DELETE')).status).toBe(200);
    // Neither version holds a replica once the DELETE has answered.
    expect(server.controller.nodes().filter((n) => n.graph === 'gone')).toEqual([]);
    const rel = server.controller.release('gone')!.status();
    expect(rel.state).toBe('aborted');
    expect(rel.decisions.at(-1)).toMatchObject({ action: 'abort', reason: 'the graph was deleted' });
    const versions = (await get(`${server.url}/api/graphs/gone/versions`)).body;
    expect(versions.active).toBeNull();
    expect(versions.versions[0].release).toMatchObject({ state: 'aborted', candidateVersion: 2 });
    expect((await metricsText()).match(/graph="gone"[^}]*version="2"/)).toBeNull();
  });
});

describe('a restart during a release', () => {
  let dataDir: string;
  let servers: BeamlineServer[] = [];
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'beamline-release-restart-'));
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    servers = [];
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the stable version and records the release aborted; the candidate is not started again', async () => {
    const first = await startServer({ persist: true, dataDir });
    servers.push(first);
    expect((await post(`${first.url}/api/graphs`, versionGraph('kept', { label: 'v1' }))).status).toBe(201);
    expect((await post(`${first.url}/api/graphs?canary=50&windowRequests=1000`, versionGraph('kept', { label: 'v2' }))).status).toBe(200);
    await first.close();
    servers = [];

    const second = await startServer({ persist: true, dataDir });
    servers.push(second);
    for (let i = 0; i < 4; i++) expect((await post(`${second.url}/kept`, { x: {} })).body.label).toBe('v1');
    expect(second.controller.get('kept')!.version).toBe(1);
    expect(second.controller.nodes().filter((n) => n.graph === 'kept')).toHaveLength(1);
    const status = (await get(`${second.url}/api/graphs/kept`)).body;
    expect(status.release).toBeUndefined();
    expect(status.candidate).toBeUndefined();
    const versions = (await get(`${second.url}/api/graphs/kept/versions`)).body;
    expect(versions.active).toBe(1);
    const rel = versions.versions.find((v: { version: number }) => v.version === 2).release;
    expect(rel.state).toBe('aborted');
    expect(rel.decisions.at(-1)).toMatchObject({ action: 'abort', by: 'auto' });
    expect(rel.decisions.at(-1).reason).toContain('the server restarted during the release');
  });
});
