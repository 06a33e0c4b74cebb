import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkProfile, parseSamples, profileGraph, thisMachine, TuneError } from '../../runtime/tune/index.js';
import { compile } from '../../shared/compile.js';
import type { ProfileProgress } from '../../shared/tuning.js';
import { graph, TESTKIT } from '../runtime/helpers.js';
import { catalog } from './synthetic.js';

const modules = [pathToFileURL(TESTKIT).href];
const fast = { modules, maxBatch: 4, maxConcurrency: 2, maxSamples: 12, maxPointMs: 1500, generated: 3 };

function planOf(nodes: Parameters<typeof graph>[1], edges: [string, string][]) {
  const r = compile(graph('prof', nodes, edges), catalog);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.plan;
}

describe('beamline profile (real replicas)', () => {
  it('measures each node at batch sizes and concurrency levels, records the machine and reports progress', async () => {
    const plan = planOf(
      [
        { id: 'svc', kind: 'test-service', config: { ms: 20, perItemMs: 5 } },
        { id: 'echo', kind: 'test-echo' },
      ],
      [['input', 'svc'], ['svc', 'echo'], ['echo', 'output']],
    );
    const events: ProfileProgress[] = [];
    const profile = await profileGraph(plan, fast, (e) => events.push(e));
    expect(profile.machine).toEqual(thisMachine());
    expect(profile.inputs).toEqual({ source: 'generated', count: 3 });
    expect(checkProfile(profile, plan, thisMachine())).toBeUndefined();
    // svc: concurrency 1, 2 at batch 1, then batch 2 and 4; echo: concurrency 1, 2 only.
    const key = (id: string) => profile.nodes[id].points.map((p) => `${p.batch}x${p.concurrency}`).sort();
    expect(key('svc')).toEqual(['1x1', '1x2', '2x1', '4x1']);
    expect(key('echo')).toEqual(['1x1', '1x2']);
    expect(profile.nodes.svc.batchable).toBe(true);
    expect(profile.nodes.echo.batchable).toBe(false);
    for (const p of [...profile.nodes.svc.points, ...profile.nodes.echo.points]) {
      expect(p.samples).toBeGreaterThanOrEqual(5);
      expect(p.samples).toBeLessThanOrEqual(12);
      // CPU time per call is recorded: the test kinds sleep, so it is well under their service time.
      expect(p.cpuMs).toBeGreaterThanOrEqual(0);
    }
    const svc1 = profile.nodes.svc.points.find((p) => p.batch === 1 && p.concurrency === 1)!;
    expect(svc1.cpuMs!).toBeLessThan(svc1.serviceMs.mean);
    // The batch of 4 takes 20 + 4 x 5 = 40 ms against 25 ms for one: the profile sees batches cost more, and less per item.
    const at = (b: number) => profile.nodes.svc.points.find((p) => p.batch === b && p.concurrency === 1)!.serviceMs.mean;
    expect(at(4) / at(1)).toBeGreaterThan(1.3);
    expect(at(4) / 4 / at(1)).toBeLessThan(0.6);
    // Step 4: whole-graph requests through HTTP; the request path is what the nodes' chain leaves of each.
    const g = profile.inGraph!;
    expect(g.requests).toBeGreaterThanOrEqual(10);
    expect(g.overheadMs.p50).toBeGreaterThanOrEqual(0);
    expect(g.endToEndMs.p50).toBeGreaterThan(g.overheadMs.p50);
    // Inside the graph svc takes at least its 20 ms of work; its back-to-back point is the same work.
    expect(profile.nodes.svc.inGraph!.p50).toBeGreaterThanOrEqual(20);
    expect(profile.nodes.echo.inGraph).toBeDefined();
    expect(profile.cpuScale).toBeUndefined();
    // A remaining-time figure counts the redeploys still ahead, so it never reads 0 before the last point.
    const points = events.filter((e) => e.type === 'point');
    expect(points.slice(0, -1).every((e) => e.type === 'point' && e.remainingS > 0)).toBe(true);
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === 'inputs')).toHaveLength(3);
    expect(types.filter((t) => t === 'point')).toHaveLength(6);
    expect(types.at(-1)).toBe('done');
    const start = events.find((e) => e.type === 'start');
    expect(start && start.type === 'start' && start.points).toBe(6);
    expect(start && start.type === 'start' && start.estimateS).toBeGreaterThan(0);
  });

  it('profiles a graph whose reservations together exceed this machine, scaling them while measuring', async () => {
    const { availableParallelism } = await import('node:os');
    const cpus = availableParallelism();
    // Each node alone fits; together they reserve twice the machine.
    const plan = planOf(
      [
        { id: 'a', kind: 'test-echo', deployment: { resources: { cpus } } },
        { id: 'b', kind: 'test-echo', deployment: { resources: { cpus } } },
      ],
      [['input', 'a'], ['a', 'b'], ['b', 'output']],
    );
    const profile = await profileGraph(plan, { ...fast, calibrateRequests: 10 });
    expect(profile.cpuScale).toBeCloseTo(0.5, 2);
    // The share recorded is the node's own (what batching slots follow), not the scaled reservation.
    expect(profile.nodes.a.measuredWith.cpus).toBe(cpus);
    expect(profile.nodes.b.points.length).toBeGreaterThan(0);
  });

  it('names the node that fails, and the node whose model does not load', async () => {
    const failing = planOf([{ id: 'bad', kind: 'test-echo' }], [['input', 'bad'], ['bad', 'output']]);
    const err = await profileGraph(failing, { ...fast, samples: [{ x: { fail: 'boom' } }] }).catch((e) => e);
    expect(err).toBeInstanceOf(TuneError);
    expect(err.node).toBe('bad');
    expect(err.message).toMatch(/node bad failed on sample 1: .*boom/);
    const broken = planOf([{ id: 'nomodel', kind: 'test-broken' }], [['input', 'nomodel'], ['nomodel', 'output']]);
    const err2 = await profileGraph(broken, fast).catch((e) => e);
    expect(err2).toBeInstanceOf(TuneError);
    expect(err2.message).toMatch(/node nomodel cannot be profiled: .*weights\.onnx not found/);
  });

  it('refuses inputs that do not match the input node, naming the line and field', () => {
    const plan = compile({ ...graph('prof', [], [['input', 'output']]), nodes: [{ id: 'input', kind: 'input', config: { fields: { query: 'text' } } }, { id: 'output', kind: 'output' }], edges: [{ source: 'input', sourceHandle: 'query', target: 'output', targetHandle: 'in' }] }, catalog);
    if (!plan.ok) throw new Error(JSON.stringify(plan.errors));
    expect(parseSamples('{"query": "hi"}\n\n{"query": "there"}\n', 's.jsonl', plan.plan)).toHaveLength(2);
    expect(() => parseSamples('{"query": "hi"}\n{"query": 3}\n', 's.jsonl', plan.plan)).toThrow(/s\.jsonl line 2 does not match input node input: \$\.query: .*string/);
    expect(() => parseSamples('{"query": "hi"}\nnot json\n', 's.jsonl', plan.plan)).toThrow(/s\.jsonl line 2 is not JSON/);
  });

  it('refuses a profile from another machine or another version of the graph', async () => {
    const plan = planOf([{ id: 'e', kind: 'test-echo' }], [['input', 'e'], ['e', 'output']]);
    const profile = await profileGraph(plan, { ...fast, maxConcurrency: 1 });
    const other = { ...thisMachine(), cpus: thisMachine().cpus + 8, cpuModel: 'Another CPU' };
    expect(checkProfile(profile, plan, other)).toMatch(/another machine \(cpus: \d+ vs \d+; cpuModel: "[^"]*" vs "Another CPU"/);
    const changed = planOf([{ id: 'e', kind: 'test-echo', config: { sleepMs: 5 } }], [['input', 'e'], ['e', 'output']]);
    expect(checkProfile(profile, changed, thisMachine())).toMatch(/another version of graph "prof"/);
    // Deployment settings are not part of the graph's identity: a tuned graph keeps its profile.
    const tuned = planOf([{ id: 'e', kind: 'test-echo', deployment: { numReplicas: 3 } }], [['input', 'e'], ['e', 'output']]);
    expect(checkProfile(profile, tuned, thisMachine())).toBeUndefined();
  });
});
