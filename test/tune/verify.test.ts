import { describe, expect, it } from 'vitest';
import type { Prediction } from '../../shared/tuning.js';
import { TuneError } from '../../runtime/tune/errors.js';
import { formatVerify, verify } from '../../runtime/tune/verify.js';
import { graph, startServer } from '../runtime/helpers.js';

// A node that holds each call 20 ms, with room for every call at once: its latency is known.
const held = (name: string, cpus = 0.1) =>
  graph(name, [{ id: 's', kind: 'test-service', config: { ms: 20 }, deployment: { maxOngoingRequests: 100, resources: { cpus } } }], [
    ['input', 's'],
    ['s', 'output'],
  ]);

const prediction = (qps: number): Prediction => ({
  qps,
  nodes: { s: { arrivalQps: qps, utilization: 0.01, ceilingQps: 5000, meanBatch: 1, p50Ms: 21, p99Ms: 23, waitMs: 0 } },
  p50Ms: 22,
  p99Ms: 25,
  ceilingQps: 5000,
  criticalPath: [{ node: 's', share: 1 }],
  assumptions: [],
});

describe('verify', () => {
  it('deploys on a server it starts, loads it open-loop and sets measured beside predicted', async () => {
    let started = 0;
    let closed = 0;
    const lines: string[] = [];
    const v = await verify({
      graph: held('verify-ok'),
      prediction: prediction(100),
      qps: 100,
      requests: 150,
      warmup: 5,
      bodies: [{ x: 1 }, { x: 2 }],
      server: {
        start: async () => {
          started++;
          const s = await startServer();
          return { url: s.url, close: () => s.close().then(() => void closed++) };
        },
      },
      log: (l) => lines.push(l),
    });
    expect({ started, closed }).toEqual({ started: 1, closed: 1 });
    // Every arrival sent and answered; the node saw every one of them (the warm-up is not counted).
    expect(v.load).toMatchObject({ requests: 150, sent: 150, ok: 150, failed: 0, overflow: 0 });
    expect(v.nodes.s.calls).toBe(150);
    expect(v.nodes.s.errors).toBe(0);
    // A 20 ms node: measured at least its service time, so the ratios to a ~20 ms prediction are near 1, never below 0.9.
    expect(v.endToEnd.measured.p50Ms).toBeGreaterThanOrEqual(20);
    expect(v.endToEnd.ratio.p50Ms).toBeGreaterThanOrEqual(0.9);
    expect(v.nodes.s.measured.p50Ms).toBeGreaterThanOrEqual(20);
    expect(v.endToEnd.ratio.qps).not.toBeNull();
    expect(lines.some((l) => /deploying verify-ok/.test(l))).toBe(true);
    const text = formatVerify(v).join('\n');
    expect(text).toMatch(/150 sent of 150 arrivals at 100\/s/);
    expect(text).toMatch(/^s +p50/m);
  });

  it('refuses to load a graph whose replicas are not all running, naming the node and the reason', async () => {
    const s = await startServer({ cpus: 1 });
    try {
      const err = await verify({ graph: held('verify-pending', 4), prediction: prediction(10), qps: 10, bodies: [{ x: 1 }], server: { server: s.url } }).catch((e) => e);
      expect(err).toBeInstanceOf(TuneError);
      expect(err.message).toMatch(/not every replica of verify-pending is running.*s: PENDING/);
      expect(err.fix).toMatch(/--cpus/);
    } finally {
      await s.close();
    }
  });

  it('names the compiler errors of a graph the server refuses, and an unreachable server', async () => {
    const s = await startServer();
    try {
      const bad = held('verify-bad');
      bad.nodes[1].kind = 'test-nope';
      const err = await verify({ graph: bad, prediction: prediction(10), qps: 10, bodies: [{ x: 1 }], server: { server: s.url } }).catch((e) => e);
      expect(err).toBeInstanceOf(TuneError);
      expect(err.message).toMatch(/was not deployed: POST \/api\/graphs: 400[\s\S]*node s: .*test-nope/);
    } finally {
      await s.close();
    }
    const gone = await verify({ graph: held('verify-gone'), prediction: prediction(10), qps: 10, bodies: [{ x: 1 }], server: { server: 'http://127.0.0.1:1' } }).catch((e) => e);
    expect(gone.message).toMatch(/cannot reach the server/);
  });

  it('refuses a rate that is not above 0 and an empty list of bodies before deploying anything', async () => {
    const start = async () => {
      throw new Error('must not start');
    };
    await expect(verify({ graph: held('v0'), prediction: prediction(1), qps: 0, bodies: [{}], server: { start } })).rejects.toThrow(/qps must be above 0/);
    await expect(verify({ graph: held('v0'), prediction: prediction(1), qps: 5, bodies: [], server: { start } })).rejects.toThrow(/no request bodies/);
  });
});
