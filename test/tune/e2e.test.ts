// Profile → tune → verify on a graph of nodes with known service times: the prediction is held
// against an open-loop load at the target rate, by counts and ratios (no wall-clock thresholds).
import { describe, expect, it } from 'vitest';
import { BUILTIN_KINDS, Catalog } from '../../shared/catalog/index.js';
import { compile } from '../../shared/compile.js';
import { definedNodesOf } from '../../runtime/define-node.js';
import { applySettings } from '../../runtime/tune/apply.js';
import { checkProfile } from '../../runtime/tune/profile-file.js';
import { thisMachine } from '../../runtime/tune/machine.js';
import { profileGraph } from '../../runtime/tune/profile.js';
import { tune } from '../../runtime/tune/search.js';
import { verify } from '../../runtime/tune/verify.js';
import * as testkit from '../fixtures/nodes/testkit.js';
import { graph, startServer, TESTKIT } from '../runtime/helpers.js';
import { pathToFileURL } from 'node:url';

const catalog = new Catalog([...BUILTIN_KINDS, ...definedNodesOf(testkit)]);

// input → a (8 ms) → { b (30 ms), c (4 ms a batch + 1 ms an item) } → output: a fan-out and a join.
const doc = graph(
  'tune-e2e',
  [
    { id: 'a', kind: 'test-service', config: { ms: 8 } },
    { id: 'b', kind: 'test-service', config: { ms: 30 } },
    { id: 'c', kind: 'test-service', config: { ms: 4, perItemMs: 1 } },
  ],
  [
    ['input', 'a'],
    ['a', 'b'],
    ['a', 'c'],
    ['b', 'output'],
    ['c', 'output'],
  ],
);

const QPS = 60;
const REQUESTS = 360;
const CPUS = 2;

describe('profile → tune → verify', () => {
  it('meets the target it predicts, within tolerance, with every request counted', async () => {
    const compiled = compile(doc, catalog);
    if (!compiled.ok) throw new Error(compiled.errors.map((e) => e.message).join('; '));
    const plan = compiled.plan;
    const bodies = [1, 2, 3, 4].map((x) => ({ x: { n: x } }));
    const profile = await profileGraph(plan, { samples: bodies, modules: [pathToFileURL(TESTKIT).href], maxConcurrency: 4, maxBatch: 4, maxSamples: 30, maxPointMs: 800 });
    expect(checkProfile(profile, plan, thisMachine())).toBeUndefined();
    expect(Object.keys(profile.nodes).sort()).toEqual(['a', 'b', 'c']);

    const result = tune(plan, profile, { qps: QPS, p99Ms: 200 }, { cpus: CPUS, gpus: 0 });
    if (!result.ok) throw new Error(`tune failed: ${result.reason}`);
    expect(result.prediction.p99Ms).toBeLessThanOrEqual(200);
    expect(result.prediction.ceilingQps).toBeGreaterThanOrEqual(QPS);
    expect(result.totals.cpus).toBeLessThanOrEqual(CPUS);

    const tuned = applySettings(plan.graph, result.settings);
    const v = await verify({
      graph: tuned,
      prediction: result.prediction,
      qps: QPS,
      requests: REQUESTS,
      warmup: 10,
      bodies,
      server: { start: () => startServer({ cpus: CPUS }) },
    });
    // Counts add up: every arrival sent (nothing overflowed) and answered, and every node ran each request once.
    expect(v.load).toMatchObject({ requests: REQUESTS, sent: REQUESTS, ok: REQUESTS, failed: 0, overflow: 0 });
    for (const id of ['a', 'b', 'c']) {
      expect(v.nodes[id].calls).toBe(REQUESTS);
      expect(v.nodes[id].errors).toBe(0);
    }
    // Measured vs predicted, as ratios: throughput is the offered rate (the tuned graph keeps up),
    // the median is the critical path a → b, and the tail within a wider band.
    const r = v.endToEnd.ratio;
    expect(r.qps).toBeGreaterThan(0.8);
    expect(r.qps).toBeLessThan(1.2);
    expect(r.p50Ms).toBeGreaterThan(0.7);
    expect(r.p50Ms).toBeLessThan(1.5);
    // The tail carries the machine's own stalls (other processes on two shared cores): a wider band.
    expect(r.p99Ms).toBeGreaterThan(0.5);
    expect(r.p99Ms).toBeLessThan(3);
    // b, on the critical path, has a median near its 30 ms.
    expect(v.nodes.b.ratio.p50Ms).toBeGreaterThan(0.7);
    expect(v.nodes.b.ratio.p50Ms).toBeLessThan(1.5);
  });
});
