import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { beamline, removeTemp, tempDir } from '../cli/run-cli.js';

afterAll(removeTemp);

const graphDoc = {
  version: 1,
  name: 'svc',
  routePrefix: '/svc',
  nodes: [
    { id: 'input', kind: 'input', config: { fields: { x: 'json' } } },
    { id: 'svc', kind: 'test-service', config: { ms: 20, perItemMs: 2 } },
    { id: 'output', kind: 'output' },
  ],
  edges: [
    { source: 'input', sourceHandle: 'x', target: 'svc', targetHandle: 'in' },
    { source: 'svc', sourceHandle: 'out', target: 'output', targetHandle: 'in' },
  ],
};
const nodes = ['--nodes', 'test/fixtures/nodes/testkit.ts'];

describe('beamline profile / tune (child processes)', () => {
  it('profiles, then tunes: a reachable target prints settings, an unreachable one exits 1 and writes nothing', async () => {
    const dir = tempDir();
    const file = join(dir, 'graph.json');
    writeFileSync(file, JSON.stringify(graphDoc));
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"x": 1}\n["not", "an object"]\n');
    const refused = await beamline(['profile', file, ...nodes, '--inputs', bad]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/bad\.jsonl line 2 does not match input node input/);
    expect(existsSync(join(dir, 'graph.profile.json'))).toBe(false);

    const prof = await beamline(['profile', file, ...nodes, '--samples', '2', '--max-batch', '4', '--max-concurrency', '2']);
    expect(prof.code).toBe(0);
    expect(prof.stderr).toMatch(/profiling 1 node, 4 points; about \d+ s/);
    expect(existsSync(join(dir, 'graph.profile.json'))).toBe(true);

    const ok = await beamline(['tune', file, ...nodes, '--qps', '50', '--p99', '500ms', '--cpus', '4', '--json']);
    expect(ok.code).toBe(0);
    const r = JSON.parse(ok.stdout);
    expect(r.ok).toBe(true);
    expect(r.settings.svc.numReplicas).toBeGreaterThanOrEqual(1);

    const before = readFileSync(file, 'utf8');
    const no = await beamline(['tune', file, ...nodes, '--qps', '100000', '--p99', '100ms', '--cpus', '1', '--apply']);
    expect(no.code).toBe(1);
    expect(no.stdout).toMatch(/cannot be met: .*no placeable configuration keeps up with 100000 req\/s/);
    expect(no.stdout).toMatch(/throughput ceiling on these resources: \d+/);
    expect(readFileSync(file, 'utf8')).toBe(before);

    // Another version of the graph (a config changed) is refused with what to do.
    writeFileSync(file, JSON.stringify({ ...graphDoc, nodes: graphDoc.nodes.map((n) => (n.id === 'svc' ? { ...n, config: { ms: 5 } } : n)) }));
    const stale = await beamline(['tune', file, ...nodes, '--qps', '50', '--p99', '500ms']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/another version of graph "svc".*profile it again/);
  });
});
