// Resource bounds (issue 12, items 4, 5 and 15's numReplicas 0), each proved by the attack:
// a model that never loads, a port already taken, a node with no replicas.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createServer } from '../../runtime/server/index.js';
import { get, graph, post, startServer, until } from '../runtime/helpers.js';

const root = resolve(import.meta.dirname, '../..');
const KINDS = fileURLToPath(new URL('../fixtures/reliability/kinds.ts', import.meta.url));
const dirs: string[] = [];
const children: ChildProcess[] = [];
const listeners: NetServer[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'beamline-bounds-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(listeners.splice(0).map((l) => new Promise((r) => l.close(r))));
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Cli {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `beamline serve ...` as an operator runs it, in its own process. */
function cli(args: string[]): Cli {
  return child([join(root, 'bin/beamline.js'), 'serve', ...args]);
}

/** A node process, killed after the test whatever happened. */
function child(args: string[]): Cli {
  const { BEAMLINE_TOKEN: _, ...env } = process.env;
  const proc = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  return { proc, out: () => out, err: () => err, exited };
}

async function cliUrl(c: Cli): Promise<string> {
  return until(() => /Beamline on (http:\/\/\S+)/.exec(c.out())?.[1], 'the server to listen', 60_000);
}

/** OS threads of a process (Linux); undefined where /proc is not there. */
function osThreads(pid: number): number | undefined {
  const f = `/proc/${pid}/status`;
  if (!existsSync(f)) return undefined;
  return Number(/Threads:\s+(\d+)/.exec(readFileSync(f, 'utf8'))?.[1]);
}

async function replicaThreads(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^beamline_replica_threads (\d+)$/m.exec(text);
  if (!m) throw new Error('no beamline_replica_threads in /metrics');
  return Number(m[1]);
}

const missingModel = {
  version: 1,
  name: 'bad',
  routePrefix: '/bad',
  nodes: [
    { id: 'in', kind: 'input', position: { x: 0, y: 0 }, config: { fields: { text: 'text' } } },
    { id: 'emb', kind: 'embedder', position: { x: 0, y: 0 }, config: { model: 'no-such-model' } },
    { id: 'out', kind: 'output', position: { x: 0, y: 0 } },
  ],
  edges: [
    { source: 'in', sourceHandle: 'text', target: 'emb', targetHandle: 'text' },
    { source: 'emb', sourceHandle: 'vector', target: 'out', targetHandle: 'in' },
  ],
};

describe('a model that fails to load', () => {
  it('ends each failed thread, gives up after a few attempts, and DELETE and SIGTERM leave nothing running', async () => {
    const c = cli(['--port', '0', '--data-dir', tempDir(), '--no-persist']);
    const url = await cliUrl(c);
    const pid = c.proc.pid!;
    expect(await replicaThreads(url)).toBe(0);
    const before = osThreads(pid);

    expect((await post(`${url}/api/graphs`, missingModel)).status).toBe(201);
    // While it retries, at most the one replica's thread is alive at a time (each failed one was ended).
    let most = 0;
    const status = await until(
      async () => {
        most = Math.max(most, await replicaThreads(url));
        const s = (await get(`${url}/api/graphs/bad`)).body;
        return /gave up after \d+ attempts/.test(s.nodes?.emb?.error ?? '') ? s : undefined;
      },
      'the pool to give up',
      60_000,
    );
    expect(most).toBeLessThanOrEqual(1);
    expect(status.state).toBe('UNHEALTHY');
    expect(status.nodes.emb.error).toMatch(/no-such-model.*redeploy/);
    const attempts = `${c.out()}${c.err()}`.match(/\[bad\/r\d+\] failed to load/g)?.length;
    expect(attempts).toBe(Number(/gave up after (\d+) attempts/.exec(status.nodes.emb.error)![1]));
    await until(async () => (await replicaThreads(url)) === 0, 'the last failed thread to exit');
    // The data plane says so at once, naming the node and the load error.
    const call = await post(`${url}/bad`, { text: 'hi' });
    expect(call.status).toBe(503);
    expect(call.body).toMatchObject({ node: 'emb', code: 'node_unavailable' });
    expect(call.body.error).toMatch(/no-such-model/);

    expect((await fetch(`${url}/api/graphs/bad`, { method: 'DELETE' })).status).toBe(200);
    expect(await replicaThreads(url)).toBe(0);
    // The process holds no more threads than before the deploy (the old code kept two per attempt).
    if (before !== undefined) expect(osThreads(pid)).toBeLessThanOrEqual(before);
    // No retry fires after the delete.
    expect(`${c.out()}${c.err()}`.match(/\[bad\/r\d+\] failed to load/g)?.length).toBe(attempts);

    // Redeployed and retrying again, then SIGTERM: the process exits (the old one lived on with its threads).
    expect([200, 201]).toContain((await post(`${url}/api/graphs`, missingModel)).status);
    c.proc.kill('SIGTERM');
    expect(await c.exited).toEqual({ code: 0, signal: null });
  }, 120_000);
});

describe('a port that is already taken', () => {
  it('serve with a data directory holding an active graph exits 2 with the message before restoring anything', async () => {
    const dataDir = tempDir();
    const first = await createServer({ port: 0, host: '127.0.0.1', dataDir, persist: true, log: () => {} });
    const doc = graph('kept', [{ id: 'n', kind: 'preprocessor' }], []);
    doc.nodes[0].config = { fields: { text: 'text' } };
    doc.edges = [
      { source: 'input', sourceHandle: 'text', target: 'n', targetHandle: 'text' },
      { source: 'n', sourceHandle: 'text', target: 'output', targetHandle: 'in' },
    ];
    expect((await first.deploy(doc)).ok).toBe(true);
    await first.close();

    const busy = createNetServer(() => {});
    listeners.push(busy);
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;

    const c = cli(['--port', String(port), '--data-dir', dataDir]);
    // The old server restored the graph, logged EADDRINUSE and ran on with its replicas.
    expect(await c.exited).toEqual({ code: 2, signal: null });
    expect(c.err()).toMatch(/EADDRINUSE/);
    expect(c.err()).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}`));
    expect(`${c.out()}${c.err()}`).not.toMatch(/restored/);
  }, 90_000);

  it('while it restores, a bound server answers 503 starting with Retry-After, never a 404, then serves the graph', async () => {
    const dataDir = tempDir();
    const gate = join(dataDir, 'gate');
    writeFileSync(gate, '');
    const first = await createServer({ port: 0, host: '127.0.0.1', dataDir, persist: true, nodes: [KINDS], cpus: 4, log: () => {} });
    const slow = graph('s', [{ id: 'n', kind: 'test-slowload', config: { tag: 'back', gateFile: gate } }], [
      ['input', 'n'],
      ['n', 'output'],
    ]);
    expect((await first.deploy(slow)).ok).toBe(true);
    await first.close();
    // The restarted server's replica cannot finish loading until the gate file is back.
    rmSync(gate);

    const probe = createNetServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    // The reliability fixture server (test kinds, persist on); it prints READY once restored.
    const c = child([join(root, 'bin/tsx.js'), join(root, 'test/fixtures/reliability/serve.ts'), dataDir, String(port)]);
    const base = `http://127.0.0.1:${port}`;
    const first503 = await until(
      () =>
        fetch(`${base}/s`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x":1}' }).then(
          async (r) => ({ status: r.status, retryAfter: r.headers.get('retry-after'), body: await r.json() }),
          () => undefined,
        ),
      'the server to bind',
      60_000,
    );
    expect(first503).toMatchObject({ status: 503, retryAfter: '1', body: { code: 'starting' } });
    expect((await fetch(`${base}/api/graphs/s`)).status).toBe(503);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    writeFileSync(gate, '');
    await until(() => c.out().includes('READY'), 'the restore to finish', 60_000);
    expect((await post(`${base}/s`, { x: 1 })).body).toEqual({ tag: 'back', value: 1 });
  }, 90_000);
});

describe('a node with numReplicas 0 and no autoscaling', () => {
  it('answers 503 naming the node at once instead of waiting for a replica that never comes', async () => {
    const server = await startServer();
    try {
      const g = graph('none', [{ id: 'n', kind: 'test-echo', deployment: { numReplicas: 0, timeoutMs: 600_000 } }], [
        ['input', 'n'],
        ['n', 'output'],
      ]);
      expect((await server.deploy(g)).ok).toBe(true);
      // Old code: queued until the node's timeoutMs (here 10 minutes), then 504.
      const r = await post(`${server.url}/none`, { x: 1 });
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({ node: 'n', code: 'node_unavailable' });
      expect(r.body.error).toMatch(/numReplicas 0/);
    } finally {
      await server.close();
    }
  }, 30_000);
});

describe('every replica costs memory, whatever its CPU share', () => {
  const text = (name: string, deployment: Record<string, unknown>) => {
    const doc = graph(name, [{ id: 'n', kind: 'preprocessor', deployment }], []);
    doc.nodes[0].config = { fields: { text: 'text' } };
    doc.edges = [
      { source: 'input', sourceHandle: 'text', target: 'n', targetHandle: 'text' },
      { source: 'n', sourceHandle: 'text', target: 'output', targetHandle: 'in' },
    ];
    return doc;
  };

  it('refuses numReplicas 40 at cpus 0 that cannot fit in memory, naming the node and field, and starts nothing', async () => {
    // The attack: on 2 CPUs, 40 replicas at cpus 0 all started (RSS 250 MB -> 1.32 GB).
    const server = await startServer({ cpus: 2, memoryMb: 1024 });
    try {
      const r = await post(`${server.url}/api/graphs`, text('wide', { numReplicas: 40, resources: { cpus: 0 } }));
      expect(r.status).toBe(400);
      expect(r.body.errors).toEqual([expect.objectContaining({ node: 'n', path: '$.nodes[1].deployment.numReplicas', code: 'invalid_deployment' })]);
      expect(r.body.errors[0].message).toMatch(/48 MB each.*needs 48 MB of memory/);
      expect(await replicaThreads(server.url)).toBe(0);
      expect((await get(`${server.url}/api/graphs/wide`)).status).toBe(404);
      // resources.memoryMb, when given, is what a replica counts.
      const big = await post(`${server.url}/api/graphs`, text('big', { numReplicas: 2, resources: { cpus: 0, memoryMb: 600 } }));
      expect(big.status).toBe(400);
      expect(big.body.errors[0].message).toMatch(/600 MB each/);
      // What fits is deployed, and a second graph is refused with 409 when the first holds the memory.
      expect((await post(`${server.url}/api/graphs`, text('fits', { numReplicas: 12, resources: { cpus: 0 } }))).status).toBe(201);
      const more = await post(`${server.url}/api/graphs`, text('more', { numReplicas: 12, resources: { cpus: 0 } }));
      expect(more.status).toBe(409);
      expect(more.body.errors[0]).toMatchObject({ node: 'n', path: '$.nodes[1].deployment.numReplicas' });
      expect(more.body.errors[0].message).toMatch(/next to the graphs deployed now/);
      // A redeploy of the same graph does not count its own running version against itself.
      expect((await post(`${server.url}/api/graphs`, text('fits', { numReplicas: 14, resources: { cpus: 0 } }))).status).toBe(200);
    } finally {
      await server.close();
    }
  }, 60_000);

  it('caps the replicas of a server (--max-replicas): a deploy over it is refused, autoscaling past it waits PENDING', async () => {
    const server = await startServer({ cpus: 64, memoryMb: 64_000, maxReplicas: 4 });
    try {
      const r = await post(`${server.url}/api/graphs`, text('many', { numReplicas: 5, resources: { cpus: 0 } }));
      expect(r.status).toBe(400);
      expect(r.body.errors[0]).toMatchObject({ node: 'n', path: '$.nodes[1].deployment.numReplicas' });
      expect(r.body.errors[0].message).toMatch(/at most 4 replicas \(--max-replicas\)/);
      expect(await replicaThreads(server.url)).toBe(0);
      const scaled = await post(`${server.url}/api/graphs`, text('auto', { autoscaling: { minReplicas: 3, maxReplicas: 10 }, resources: { cpus: 0 } }));
      expect(scaled.status).toBe(201);
      const dep = server.controller.get('auto')!;
      dep.pools.get('n')!.scale(6);
      const status = await until(() => {
        const s = dep.status().nodes.n.replicas;
        return s.filter((x) => x.state === 'RUNNING').length === 4 && s.some((x) => x.state === 'PENDING') ? s : undefined;
      }, 'the pool to fill the cap');
      expect(status.find((x) => x.state === 'PENDING')?.reason).toMatch(/at most 4 replicas/);
      expect(await replicaThreads(server.url)).toBe(4);
    } finally {
      await server.close();
    }
  }, 60_000);
});
