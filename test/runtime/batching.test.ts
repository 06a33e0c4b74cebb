import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphStatus } from '../../shared/protocol.js';
import { type BeamlineServer, createServer } from '../../runtime/server/index.js';
import { Latch } from '../fixtures/nodes/latch.js';
import { graph as chain, until } from './helpers.js';

const NODES = fileURLToPath(new URL('../fixtures/scaling/nodes.ts', import.meta.url));

/** input -> probe (batch-probe) -> output, on the shared test graph builder. */
const graph = (name: string, deployment: Record<string, unknown>) => chain(name, [{ id: 'probe', kind: 'batch-probe', config: { workMs: 10 }, deployment }], [['input', 'probe'], ['probe', 'output']]);

interface ProbeOut {
  n: number;
  requestId: string;
  batchSize: number;
  batchId: string;
  replica: string;
}

let server: BeamlineServer;

beforeAll(async () => {
  server = await createServer({ port: 0, cpus: 8, memoryMb: 8192, gpus: 0, nodes: [NODES], log: () => {}, dataDir: fileURLToPath(new URL('../../.beamline/test-batching', import.meta.url)) });
  const r = await server.deploy(graph('batched', { numReplicas: 1, maxOngoingRequests: 64, batching: { maxBatchSize: 8, batchWaitTimeoutMs: 20 } }));
  expect(r.ok).toBe(true);
});

afterAll(async () => {
  await server?.close();
});

async function post(path: string, item: unknown, requestId: string) {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': requestId }, body: JSON.stringify({ x: item }) });
  return { status: res.status, body: (await res.json()) as ProbeOut & { error?: string; node?: string } };
}

const nodeStatus = async (name: string) => ((await (await fetch(`${server.url}/api/graphs/${name}`)).json()) as GraphStatus).nodes.probe;

/**
 * Sends items[n] as request `${prefix}-${n}`, all at once, and holds the first batch at a
 * latch until every request is in the replica: the rest wait in its queue and go in full
 * batches, whatever the timing of their arrival.
 */
async function burst(name: string, prefix: string, items: Record<string, unknown>[]) {
  const gate = new Latch(`${name}-${prefix}`);
  try {
    const out = Promise.all(items.map((item, n) => post(`/${name}`, { ...item, latch: gate.name }, `${prefix}-${n}`)));
    await gate.until(1);
    await until(async () => (await nodeStatus(name)).inFlight === items.length, `all ${items.length} requests in the replica`);
    gate.open();
    return await out;
  } finally {
    gate.close();
  }
}

/** The batch size histogram of one graph's probe node, from /metrics. */
async function batchSizeMetric(name: string) {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const read = (what: 'count' | 'sum') => Number(new RegExp(`beamline_batch_size_${what}\\{graph="${name}",node="probe"[^}]*\\} (\\d+)`).exec(text)?.[1] ?? 0);
  return { count: read('count'), sum: read('sum') };
}

describe('dynamic batching through a real server', () => {
  it('serves 50 concurrent requests in batches of at most 8, each caller getting its own result', async () => {
    const out = await burst('batched', 'req', Array.from({ length: 50 }, (_, n) => ({ n })));
    for (const [n, r] of out.entries()) {
      expect(r.status).toBe(200);
      expect(r.body.n).toBe(n);
      expect(r.body.requestId).toBe(`req-${n}`);
    }
    const batches = new Map<string, ProbeOut[]>();
    expect(new Set(out.map((r) => r.body.replica)).size).toBe(1);
    for (const { body } of out) batches.set(body.batchId, [...(batches.get(body.batchId) ?? []), body]);
    for (const items of batches.values()) {
      // Seen from inside the node: the batch() call's own length.
      expect(items[0].batchSize).toBeLessThanOrEqual(8);
      expect(items.length).toBe(items[0].batchSize);
    }
    // Batching really happened: 50 calls in far fewer model calls, with full batches among them.
    expect(batches.size).toBeLessThan(50);
    expect(Math.max(...[...batches.values()].map((b) => b.length))).toBe(8);
  });

  it('a poisoned item fails only its caller, with an error naming the node', async () => {
    const poisoned = new Set([3, 17, 41]);
    const out = await burst('batched', 'p', Array.from({ length: 50 }, (_, n) => ({ n, poison: poisoned.has(n) })));
    for (const [n, r] of out.entries()) {
      if (poisoned.has(n)) {
        expect(r.status).toBe(500);
        expect(r.body.node).toBe('probe');
        expect(r.body.error).toContain(`poisoned item ${n}`);
      } else {
        expect(r.status).toBe(200);
        expect(r.body.n).toBe(n);
      }
    }
    // Poisoned items shared batches with healthy ones, so isolation was actually tested.
    const healthySizes = out.filter((_, n) => !poisoned.has(n)).map((r) => r.body.batchSize);
    expect(Math.max(...healthySizes)).toBeGreaterThan(1);
  });

  it('a batch() that throws as a whole still fails only the item that caused it', async () => {
    const out = await Promise.all(Array.from({ length: 16 }, (_, n) => post('/batched', { n, explode: n === 5 }, `x-${n}`)));
    expect(out[5].status).toBe(500);
    expect(out[5].body.error).toMatch(/exploded/);
    for (const [n, r] of out.entries()) if (n !== 5) expect(r.status, `item ${n}`).toBe(200);
  });

  it('does not wait for the batch to fill when the replica already holds maxOngoingRequests', async () => {
    // A 60 s wait would outlast the test's timeout: only the replica-full cut can answer these.
    const r = await server.deploy(graph('capped', { numReplicas: 1, maxOngoingRequests: 4, batching: { maxBatchSize: 8, batchWaitTimeoutMs: 60_000 } }));
    expect(r.ok).toBe(true);
    const out = await Promise.all(Array.from({ length: 8 }, (_, n) => post('/capped', { n }, `c-${n}`)));
    for (const [n, res] of out.entries()) {
      expect(res.status).toBe(200);
      expect(res.body.n).toBe(n);
      expect(res.body.batchSize).toBe(4);
    }
  }, 30_000);

  it('shows batch sizes in /metrics (beamline_batch_size) and in the node status', async () => {
    // Read as a difference around this test's own requests: the tests before it do not count.
    const before = await batchSizeMetric('batched');
    const out = await burst('batched', 'm', Array.from({ length: 40 }, (_, n) => ({ n })));
    for (const r of out) expect(r.status).toBe(200);
    const after = await batchSizeMetric('batched');
    // One observation per batch the node ran: the sum counts the requests, the count the model calls.
    expect(after.sum - before.sum).toBe(40);
    expect(after.count - before.count).toBe(new Set(out.map((r) => r.body.batchId)).size);
    expect(after.count - before.count).toBeLessThan(40 / 2);
    const status = (await (await fetch(`${server.url}/api/graphs/batched`)).json()) as GraphStatus;
    expect(status.nodes.probe.metrics.batchSize).toBeGreaterThan(1);
  });
});
