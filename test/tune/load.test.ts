import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
import { openLoop, poissonArrivals, quantile } from '../../runtime/tune/load.js';
import { openLoopInThread } from '../../runtime/tune/load-thread.js';
import { Latch } from '../fixtures/nodes/latch.js';
import { graph, startServer, until } from '../runtime/helpers.js';

let server: BeamlineServer;

beforeAll(async () => {
  server = await startServer();
  // Room for every request of the tests to be held at once: nothing is refused by the server.
  const r = await server.deploy(
    graph('held', [{ id: 'n', kind: 'test-echo', deployment: { maxOngoingRequests: 100, maxQueuedRequests: 1000 } }], [
      ['input', 'n'],
      ['n', 'output'],
    ]),
  );
  expect(r.ok).toBe(true);
}, 30_000);
afterAll(() => server?.close());

describe('poissonArrivals', () => {
  it('repeats for a seed, and its gaps average 1/rate', () => {
    const a = poissonArrivals(200, 4000, 7);
    expect(poissonArrivals(200, 4000, 7)).toEqual(a);
    expect(poissonArrivals(200, 4000, 8)).not.toEqual(a);
    const gaps = a.map((t, i) => t - (i ? a[i - 1] : 0));
    const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
    // Exponential gaps: mean 5 ms, standard deviation equal to the mean (coefficient of variation 1).
    expect(mean).toBeGreaterThan(4.7);
    expect(mean).toBeLessThan(5.3);
    const sd = Math.sqrt(gaps.reduce((s, g) => s + (g - mean) ** 2, 0) / gaps.length);
    expect(sd / mean).toBeGreaterThan(0.9);
    expect(sd / mean).toBeLessThan(1.1);
  });
  it('refuses a rate that is not above 0', () => {
    expect(() => poissonArrivals(0, 10)).toThrow(/rate must be above 0/);
  });
  it('quantile takes the nearest rank', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.99)).toBe(4);
    expect(quantile([], 0.5)).toBeNull();
  });
});

describe('openLoop against a real server', () => {
  it('keeps sending on schedule while every request is held, then counts every answer', async () => {
    const latch = new Latch('load-held');
    try {
      const run = openLoop({ url: `${server.url}/held`, rate: 400, requests: 30, body: (i) => ({ x: { latch: 'load-held', i } }) });
      // Every arrival is sent though not one has been answered: the schedule does not wait for answers.
      await until(() => run.counts.sent === 30, 'all 30 sent');
      await latch.until(30);
      expect(run.counts.answered).toBe(0);
      expect(run.counts.overflow).toBe(0);
      latch.open();
      const r = await run.done;
      expect({ sent: r.sent, answered: r.answered, ok: r.ok, failed: r.failed, overflow: r.overflow }).toEqual({ sent: 30, answered: 30, ok: 30, failed: 0, overflow: 0 });
      expect(r.outcomes.map((o) => o.i)).toEqual([...Array(30).keys()]);
      // Latency counts from the arrival: the first request was held at least until the last one arrived.
      expect(r.outcomes[0].latencyMs).toBeGreaterThanOrEqual(r.outcomes[29].at - r.outcomes[0].at);
      expect(r.p50Ms).not.toBeNull();
    } finally {
      latch.close();
    }
  });

  it('counts arrivals beyond maxOutstanding as overflow instead of queueing them', async () => {
    const latch = new Latch('load-overflow');
    try {
      const run = openLoop({ url: `${server.url}/held`, rate: 400, requests: 20, maxOutstanding: 5, body: () => ({ x: { latch: 'load-overflow' } }) });
      await until(() => run.counts.arrived === 20, 'all 20 arrived');
      expect(run.counts.sent).toBe(5);
      expect(run.counts.overflow).toBe(15);
      latch.open();
      const r = await run.done;
      expect(r.sent + r.overflow).toBe(20);
      expect(r.ok).toBe(5);
      expect(r.outcomes).toHaveLength(5);
    } finally {
      latch.close();
    }
  });

  it('reports refused and unreachable requests as failed with their status', async () => {
    const refused = await openLoop({ url: `${server.url}/nowhere`, rate: 500, requests: 4, body: () => ({ x: 1 }) }).done;
    expect(refused.failed).toBe(4);
    expect(refused.outcomes.every((o) => o.status === 404)).toBe(true);
    const closed = await openLoop({ url: 'http://127.0.0.1:1/none', rate: 500, requests: 3, body: () => ({}) }).done;
    expect(closed.failed).toBe(3);
    expect(closed.outcomes.every((o) => o.status === 0 && /ECONNREFUSED/.test(o.error ?? ''))).toBe(true);
    expect(closed.p99Ms).toBeNull();
  });

  it('stop() ends the schedule early; what was sent still finishes', async () => {
    const latch = new Latch('load-stop');
    try {
      const run = openLoop({ url: `${server.url}/held`, rate: 400, requests: 1000, body: () => ({ x: { latch: 'load-stop' } }) });
      await latch.until(3);
      run.stop();
      const sent = run.counts.sent;
      latch.open();
      const r = await run.done;
      expect(r.sent).toBe(sent);
      expect(r.answered).toBe(sent);
      expect(r.arrived).toBeLessThan(1000);
    } finally {
      latch.close();
    }
  });

  it('runs the same schedule on a thread of its own, its counts following the thread', async () => {
    const latch = new Latch('load-thread');
    try {
      const run = openLoopInThread({ url: `${server.url}/held`, rate: 400, requests: 12, bodies: [{ x: { latch: 'load-thread' } }] });
      await until(() => run.counts.sent === 12, 'all 12 sent from the thread');
      await latch.until(12);
      expect(run.counts.answered).toBe(0);
      latch.open();
      const r = await run.done;
      expect({ sent: r.sent, ok: r.ok, failed: r.failed }).toEqual({ sent: 12, ok: 12, failed: 0 });
      expect(run.counts.ok).toBe(12);
    } finally {
      latch.close();
    }
  });
});
