// `beamline tune … --verify` as a user runs it (child processes): on a server it starts itself,
// and on a running server (--server), where the tuned graph becomes the deployed version.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
import { beamline, removeTemp, tempDir } from '../cli/run-cli.js';
import { get, graph, startServer } from '../runtime/helpers.js';

const nodes = ['--nodes', 'test/fixtures/nodes/testkit.ts'];
let file: string;
let server: BeamlineServer;

beforeAll(async () => {
  const dir = tempDir();
  file = join(dir, 'graph.json');
  writeFileSync(file, JSON.stringify(graph('cli-verify', [{ id: 's', kind: 'test-service', config: { ms: 1 } }], [['input', 's'], ['s', 'output']])));
  const p = await beamline(['profile', file, ...nodes, '--max-batch', '2', '--max-concurrency', '2']);
  expect(p.stdout + p.stderr).toContain('profile written');
  expect(p.code).toBe(0);
  server = await startServer({ cpus: 2 });
}, 120_000);
afterAll(async () => {
  await server?.close();
  removeTemp();
});

describe('beamline tune --verify', () => {
  it('on a server it starts: every request of the default load answered, measured beside predicted', async () => {
    // A rate far below what two loaded cores carry (1 ms a call at 200/s is 0.2 of a core): the
    // test checks that every arrival is sent and answered, not how fast this machine is.
    const r = await beamline(['tune', file, '--qps', '200', '--p99', '300ms', '--cpus', '2', ...nodes, '--verify']);
    expect(r.stderr).toContain('load: 2000 requests at 200/s (Poisson arrivals)');
    expect(r.stdout).toMatch(/verify: 2000 sent of 2000 arrivals at 200\/s over [\d.]+ s; 2000 ok, 0 failed, 0 not sent/);
    expect(r.stdout).toMatch(/^end to end +p50 [\d.]+ ms vs [\d.]+ ms \([\d.]+×\)/m);
    expect(r.stdout).toMatch(/^s +p50 /m);
    expect(r.code).toBe(0);
  }, 120_000);

  it('on --server: the tuned graph is deployed there and loaded; a graph the server cannot place is named', async () => {
    const r = await beamline(['tune', file, '--qps', '200', '--p99', '300ms', '--cpus', '2', ...nodes, '--verify', '--server', server.url, '--json']);
    expect(r.stderr).toContain(`deploying cli-verify on ${server.url}`);
    // --json: one document, the TuneResult with the report as `verify`.
    const doc = JSON.parse(r.stdout);
    expect(doc.ok).toBe(true);
    expect(doc.settings.s.numReplicas).toBeGreaterThanOrEqual(1);
    expect(doc.verify.load).toMatchObject({ sent: 2000, ok: 2000, failed: 0 });
    expect(r.code).toBe(0);
    const status = await get(`${server.url}/api/graphs/cli-verify`);
    expect(status.status).toBe(200);
    expect(status.body.nodes.s.metrics.requests).toBeGreaterThanOrEqual(2000);

    // Tuned for 64 CPUs' worth of replicas, verified on a 2-CPU server: not run, and why.
    const small = await startServer({ cpus: 0.15 });
    try {
      const refused = await beamline(['tune', file, '--qps', '4000', '--p99', '300ms', '--cpus', '64', ...nodes, '--verify', '--server', small.url]);
      expect(refused.stderr).toMatch(/not every replica of cli-verify is running.*PENDING/);
      expect(refused.code).toBe(1);
    } finally {
      await small.close();
    }
  }, 180_000);
});
