// The live workspace's server side: deploys listed from the moment they start,
// deployment summaries, the deploy preview against the live cluster, per-graph
// holdings, readiness of a CLI server, the favicon, and ingest progress only to
// sockets that passed the token check. Real servers and real child processes.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
import type { ClusterStatus, DeployPreview, GraphStatus, GraphSummary, IngestJob } from '../../shared/protocol.js';
import { graph, startServer, until } from '../runtime/helpers.js';
import { connect, GATE, REPO, send, upload } from './helpers.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'beamline-deployments-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const gated = (name: string, file: string) => graph(name, [{ id: 'gate', kind: 'test-gate', config: { file } }], [['input', 'gate'], ['gate', 'output']]);
const echo = (name: string, cpus: number, replicas = 1) =>
  graph(name, [{ id: 'echo', kind: 'test-echo', deployment: { numReplicas: replicas, resources: { cpus } } }], [['input', 'echo'], ['echo', 'output']]);

describe('deploys in progress and deployment summaries', () => {
  let s: BeamlineServer;
  beforeAll(async () => {
    s = await startServer({ nodes: [join(REPO, 'test/fixtures/nodes/testkit.ts'), GATE], dataDir: join(tmp, 'a') });
  });
  afterAll(() => s?.close());

  it('/api/graphs lists a graph as DEPLOYING from the moment its deploy starts, then RUNNING', async () => {
    const file = join(tmp, 'open-gate');
    const deploying = send('POST', `${s.url}/api/graphs`, gated('slow', file));
    const listed = await until(async () => {
      const graphs: GraphStatus[] = (await send('GET', `${s.url}/api/graphs`)).body.graphs;
      return graphs.find((g) => g.name === 'slow');
    }, 'slow in /api/graphs');
    expect(listed).toMatchObject({ name: 'slow', routePrefix: '/slow', version: 1, state: 'DEPLOYING', deploying: { phase: expect.any(String) } });
    expect(Object.keys(listed.nodes)).toEqual(['input', 'gate', 'output']);
    const row: GraphSummary = (await send('GET', `${s.url}/api/deployments`)).body.deployments.find((d: GraphSummary) => d.name === 'slow');
    expect(row).toMatchObject({ state: 'DEPLOYING', version: 1 });
    writeFileSync(file, '');
    expect((await deploying).status).toBe(201);
    const after: GraphStatus = (await send('GET', `${s.url}/api/graphs/slow`)).body;
    expect(after.state).toBe('RUNNING');
    expect((await send('GET', `${s.url}/api/graphs`)).body.graphs.find((g: GraphStatus) => g.name === 'slow').deploying).toBeUndefined();
  });

  it('/api/deployments summarises replicas, requests/s, latency and errors over the last seconds', async () => {
    expect((await send('POST', `${s.url}/api/graphs`, echo('busy', 0.5, 2))).status).toBe(201);
    const row = await until(async () => {
      expect((await send('POST', `${s.url}/busy`, { x: { hello: 1 } })).status).toBe(200);
      const d: GraphSummary = (await send('GET', `${s.url}/api/deployments`)).body.deployments.find((g: GraphSummary) => g.name === 'busy');
      return d.requestsPerSec > 0 && d.p50Ms !== null ? d : undefined;
    }, 'a request rate for busy');
    expect(row).toMatchObject({ name: 'busy', routePrefix: '/busy', version: 1, state: 'RUNNING', replicas: { running: 2, desired: 2, pending: 0 }, errors: 0, errorRate: 0, failing: [], pending: [] });
    expect(row.p99Ms).toBeGreaterThanOrEqual(row.p50Ms!);
  });

  it('a RUNNING graph whose node fails every request is listed as failing, naming the node', async () => {
    expect((await send('POST', `${s.url}/api/graphs`, echo('broken', 0.5))).status).toBe(201);
    const row = await until(async () => {
      expect((await send('POST', `${s.url}/broken`, { x: { fail: 'model exploded' } })).status).toBe(500);
      const d: GraphSummary = (await send('GET', `${s.url}/api/deployments`)).body.deployments.find((g: GraphSummary) => g.name === 'broken');
      return d.failing.length > 0 && d.errors > 0 ? d : undefined;
    }, 'broken to be failing');
    expect(row.state).toBe('RUNNING');
    expect(row.errorRate).toBe(1);
    expect(row.failing).toEqual([{ node: 'echo', reason: expect.stringMatching(/every call in the last 10 s failed/) }]);
  });
});

describe('preview and holdings on a server that declares 2 CPUs', () => {
  let s: BeamlineServer;
  beforeAll(async () => {
    s = await startServer({ cpus: 2, dataDir: join(tmp, 'b') });
  });
  afterAll(() => s?.close());

  it('GET /api/cluster reports what each graph holds', async () => {
    expect((await send('POST', `${s.url}/api/graphs`, echo('first', 0.75, 2))).status).toBe(201);
    const cluster: ClusterStatus = (await send('GET', `${s.url}/api/cluster`)).body;
    // memoryMb: two replicas at the kind's per-replica estimate (48 MB), as placement reserves it.
    expect(cluster.holdings).toEqual([{ graph: 'first', node: 'echo', replicas: 2, cpus: 1.5, gpus: 0, memoryMb: 96 }]);
    expect(cluster.machines[0]).toMatchObject({ cpus: 2, cpusUsed: 1.5 });
  });

  it('names the replicas that would stay PENDING and why, starting nothing', async () => {
    const before = (await send('GET', `${s.url}/api/cluster`)).body;
    const r = await send('POST', `${s.url}/api/graphs/preview`, echo('second', 1, 2));
    expect(r.status).toBe(200);
    const p: DeployPreview = r.body;
    expect(p).toMatchObject({ name: 'second', activeVersion: null, errors: [], missingIndexes: [] });
    expect(p.diff.added).toEqual(['input', 'echo', 'output']);
    expect(p.pending).toEqual([
      { node: 'echo', replica: 'echo#0', reason: expect.stringMatching(/needs 1 CPU; at most 0\.5 free/) },
      { node: 'echo', replica: 'echo#1', reason: expect.stringMatching(/needs 1 CPU; at most 0\.5 free/) },
    ]);
    expect((await send('GET', `${s.url}/api/cluster`)).body).toEqual(before);
    expect((await send('GET', `${s.url}/api/graphs`)).body.graphs.map((g: GraphStatus) => g.name)).toEqual(['first']);
    // Deployed anyway, the replicas wait with the same reason, shown at once in the summary.
    expect((await send('POST', `${s.url}/api/graphs`, echo('second', 1, 2))).status).toBe(201);
    const row: GraphSummary = (await send('GET', `${s.url}/api/deployments`)).body.deployments.find((d: GraphSummary) => d.name === 'second');
    expect(row.replicas).toEqual({ running: 0, desired: 2, pending: 2 });
    expect(row.pending.map((x) => x.reason)).toEqual([expect.stringMatching(/needs 1 CPU; at most 0\.5 free/), expect.stringMatching(/needs 1 CPU; at most 0\.5 free/)]);
    expect((await send('DELETE', `${s.url}/api/graphs/second`)).status).toBe(200);
  });

  it('a redeploy is previewed against the cluster minus what its running version holds, with the diff', async () => {
    const next = echo('first', 1, 2);
    const p: DeployPreview = (await send('POST', `${s.url}/api/graphs/preview`, next)).body;
    expect(p.activeVersion).toBe(1);
    expect(p.pending).toEqual([]);
    expect(p.diff).toMatchObject({ added: [], removed: [], same: false, changed: [{ node: 'echo', field: 'deployment.resources.cpus', from: 0.75, to: 1 }] });
    const same: DeployPreview = (await send('POST', `${s.url}/api/graphs/preview`, echo('first', 0.75, 2))).body;
    expect(same.diff.same).toBe(true);
  });

  it('a preview of a broken graph lists every error with its path, and bad bodies are 400', async () => {
    const bad = echo('oops', 1);
    (bad.nodes as { deployment: Record<string, unknown> }[])[1].deployment = { numReplicas: -1 };
    const p: DeployPreview = (await send('POST', `${s.url}/api/graphs/preview`, bad)).body;
    expect(p.errors.length).toBeGreaterThan(0);
    expect(p.errors[0]).toMatchObject({ node: 'echo', path: expect.stringMatching(/^\$\.nodes\[1\]\.deployment/) });
    expect(p.pending).toEqual([]);
    expect((await send('POST', `${s.url}/api/graphs/preview`, [1, 2])).status).toBe(400);
  });
});

describe('`beamline serve` readiness', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
  });

  it('/readyz is 503 naming the graph while it deploys, /healthz 200, then /readyz 200; favicon answers', async () => {
    const file = join(tmp, 'cli-gate');
    const graphFile = join(tmp, 'gated.json');
    writeFileSync(graphFile, JSON.stringify(gated('gated', file)));
    child = spawn(process.execPath, [join(REPO, 'bin/beamline.js'), 'serve', graphFile, '--port', '0', '--nodes', GATE, '--data-dir', join(tmp, 'cli'), '--no-persist'], {
      cwd: tmp,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stderr!.on('data', (d) => {
      out += d;
    });
    const url = await new Promise<string>((resolve, reject) => {
      child!.stdout!.on('data', (d) => {
        out += d;
        const m = /Beamline on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child!.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
    });
    const waiting = await send('GET', `${url}/readyz`);
    expect(waiting).toEqual({ status: 503, body: { ready: false, waiting: ['gated'] } });
    expect((await send('GET', `${url}/healthz`)).status).toBe(200);
    expect((await send('GET', `${url}/api/graphs`)).body.graphs).toEqual([expect.objectContaining({ name: 'gated', routePrefix: '/gated', state: 'DEPLOYING' })]);
    writeFileSync(file, '');
    const ready = await until(async () => {
      const r = await send('GET', `${url}/readyz`);
      return r.status === 200 ? r : undefined;
    }, '/readyz 200');
    expect(ready.body).toEqual({ ready: true });
    expect((await send('GET', `${url}/api/graphs/gated`)).body.state).toBe('RUNNING');
    const icon = await fetch(`${url}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(await icon.text()).toMatch(/^<svg /);
  });

  it('a server started with no graphs is ready at once; the OpenAPI document lists the workspace routes', async () => {
    const s = await startServer({ dataDir: join(tmp, 'c') });
    try {
      expect(await send('GET', `${s.url}/readyz`)).toEqual({ status: 200, body: { ready: true } });
      const doc = (await send('GET', `${s.url}/api/openapi.json`)).body;
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining(['/api/deployments', '/api/graphs/preview', '/api/indexes', '/api/indexes/{name}', '/api/indexes/{name}/files', '/api/indexes/{name}/ingest', '/api/indexes/jobs/{id}', '/readyz']),
      );
      expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['GraphSummary', 'DeployPreview', 'GraphDiff', 'IndexInfo', 'IngestJob']));
    } finally {
      await s.close();
    }
  });
});

describe('ingest progress and the token', () => {
  it('reaches only the sockets that presented the control-plane token', async () => {
    const token = 'workspace-test-token';
    const s = await startServer({ token, dataDir: join(tmp, 'd') });
    const withToken = await connect(s.url, { token });
    const without = await connect(s.url);
    try {
      const seen: IngestJob[] = [];
      const leaked: IngestJob[] = [];
      withToken.on('ingest', (j) => seen.push(j));
      without.on('ingest', (j) => leaked.push(j));
      const auth = { authorization: `Bearer ${token}` };
      const form = new FormData();
      form.append('file', new Blob(['Penguins eat fish.']), 'p.md');
      expect((await fetch(`${s.url}/api/indexes/t/files`, { method: 'POST', body: form })).status).toBe(401);
      expect((await fetch(`${s.url}/api/indexes/t/files`, { method: 'POST', body: form, headers: auth })).status).toBe(200);
      const r = await fetch(`${s.url}/api/indexes/t/ingest`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ embedder: 'builtin:glove-100d' }) });
      expect(r.status).toBe(202);
      const { id } = (await r.json()) as IngestJob;
      await until(() => seen.find((j) => j.id === id && j.state === 'done'), 'the job to be done');
      // The unauthenticated socket is still connected and got nothing.
      expect(without.connected).toBe(true);
      expect(leaked).toEqual([]);
      expect((await send('GET', `${s.url}/api/indexes`)).status).toBe(401);
    } finally {
      withToken.close();
      without.close();
      await s.close();
    }
  });
});

// Upload helper kept in use here too: a refused upload names the index.
it('an upload to a reserved index name is refused', async () => {
  const s = await startServer({ dataDir: join(tmp, 'e') });
  try {
    const r = await upload(`${s.url}/api/indexes/jobs/files`, [{ name: 'a.md', text: 'text' }]);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/"jobs" is not an index name/);
  } finally {
    await s.close();
  }
});
