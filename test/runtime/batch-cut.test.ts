import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchQueue as Batcher, concurrentBatches, cutBatch, runIsolated } from '../../runtime/dataplane/replicas/batching.js';

describe('cutBatch (pure decision)', () => {
  const limits = { maxBatchSize: 8, batchWaitTimeoutMs: 10 };

  it('sends a full batch at once, waits for a partial one until its oldest item times out', () => {
    expect(cutBatch({ queued: 8, oldestAt: 100, running: 0, inRunning: 0 }, limits, 100)).toEqual({ kind: 'send', size: 8, why: 'full' });
    expect(cutBatch({ queued: 20, oldestAt: 100, running: 0, inRunning: 0 }, limits, 100)).toEqual({ kind: 'send', size: 8, why: 'full' });
    expect(cutBatch({ queued: 3, oldestAt: 100, running: 0, inRunning: 0 }, limits, 104)).toEqual({ kind: 'wait', ms: 6 });
    expect(cutBatch({ queued: 3, oldestAt: 100, running: 0, inRunning: 0 }, limits, 110)).toEqual({ kind: 'send', size: 3, why: 'timeout' });
    expect(cutBatch({ queued: 0, running: 0, inRunning: 0 }, limits, 110)).toEqual({ kind: 'idle' });
  });

  it('does not start a second batch while one runs (max one model call per replica)', () => {
    expect(cutBatch({ queued: 8, oldestAt: 0, running: 1, inRunning: 8 }, limits, 1000)).toEqual({ kind: 'idle' });
    expect(cutBatch({ queued: 8, oldestAt: 0, running: 1, inRunning: 8 }, { ...limits, maxConcurrentBatches: 2 }, 1000).kind).toBe('send');
  });

  it('sends without waiting when the replica already holds maxOngoingRequests (no more can arrive)', () => {
    const l = { ...limits, maxOngoingRequests: 5 };
    expect(cutBatch({ queued: 5, oldestAt: 100, running: 0, inRunning: 0 }, l, 100)).toEqual({ kind: 'send', size: 5, why: 'replica-full' });
    expect(cutBatch({ queued: 4, oldestAt: 100, running: 0, inRunning: 0 }, l, 100)).toEqual({ kind: 'wait', ms: 10 });
  });

  it('property: never sends more than maxBatchSize or more than is queued, and never waits past the deadline', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 3 }),
        fc.option(fc.integer({ min: 1, max: 128 }), { nil: undefined }),
        (queued, maxBatchSize, batchWaitTimeoutMs, waited, running, maxOngoingRequests) => {
          const l = { maxBatchSize, batchWaitTimeoutMs, maxOngoingRequests };
          const cut = cutBatch({ queued, oldestAt: 1000, running, inRunning: running * 2 }, l, 1000 + waited);
          if (queued === 0 || running >= 1) return cut.kind === 'idle';
          if (cut.kind === 'send') return cut.size >= 1 && cut.size <= Math.min(queued, maxBatchSize);
          if (cut.kind === 'wait') return queued < maxBatchSize && waited < batchWaitTimeoutMs && cut.ms === batchWaitTimeoutMs - waited;
          return false;
        },
      ),
    );
  });
});

describe('Batcher (timer shell)', () => {
  it('groups concurrent submissions, answers each caller with its own result, in batches of at most maxBatchSize', async () => {
    const seen: number[][] = [];
    const b = new Batcher<number, number>({
      maxBatchSize: 4,
      batchWaitTimeoutMs: 5,
      run: async (items) => {
        seen.push(items);
        await new Promise((r) => setTimeout(r, 2));
        return items.map((x) => x * 10);
      },
    });
    const out = await Promise.all(Array.from({ length: 10 }, (_, i) => b.submit(i)));
    expect(out.map((r) => r.value)).toEqual(Array.from({ length: 10 }, (_, i) => i * 10));
    expect(seen.flat().sort((a, c) => a - c)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(Math.max(...seen.map((s) => s.length))).toBe(4);
    for (const r of out) expect(r.batchSize).toBe(seen.find((s) => s.includes(r.value / 10))!.length);
    // Exactly one lead per batch: metrics count each batch once.
    expect(out.filter((r) => r.lead).length).toBe(seen.length);
  });

  it('a lone item goes after batchWaitTimeoutMs, not never', async () => {
    const b = new Batcher<string, string>({ maxBatchSize: 8, batchWaitTimeoutMs: 20, run: async (items) => items.map((s) => s.toUpperCase()) });
    await expect(b.submit('x')).resolves.toEqual({ value: 'X', batchSize: 1, lead: true });
  });

  it('an Error in a slot fails only that caller', async () => {
    const b = new Batcher<number, number>({
      maxBatchSize: 8,
      batchWaitTimeoutMs: 5,
      run: async (items) => items.map((x) => (x === 3 ? new Error(`bad item ${x}`) : x + 1)),
    });
    const out = await Promise.allSettled([1, 2, 3, 4].map((x) => b.submit(x)));
    expect(out.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((out[2] as PromiseRejectedResult).reason.message).toBe('bad item 3');
  });

  it('a node whose whole batch() throws on one item still fails only that item (bisected retries)', async () => {
    const calls: number[][] = [];
    const run = async (items: number[]) => {
      calls.push(items);
      if (items.includes(5)) throw new Error('poisoned: 5');
      return items.map((x) => -x);
    };
    const res = await runIsolated(run, [1, 2, 3, 4, 5, 6, 7, 8]);
    expect(res.map((r) => (r instanceof Error ? r.message : r))).toEqual([-1, -2, -3, -4, 'poisoned: 5', -6, -7, -8]);
    expect(calls.length).toBeLessThan(8);
  });

  it('a wrong number of results fails that batch with a message saying so', async () => {
    const res = await runIsolated(async (items: number[]) => items.slice(1), [1, 2, 3]);
    for (const r of res) expect((r as Error).message).toBe('batch() returned 2 results for 3 items');
  });

  it('an aborted caller leaves the queue without affecting the others', async () => {
    const seen: string[][] = [];
    const b = new Batcher<string, string>({
      maxBatchSize: 8,
      batchWaitTimeoutMs: 30,
      run: async (items) => {
        seen.push(items);
        return items;
      },
    });
    const ac = new AbortController();
    const gone = b.submit('gone', ac.signal);
    const kept = b.submit('kept');
    ac.abort(new Error('caller left'));
    await expect(gone).rejects.toThrow('caller left');
    await expect(kept).resolves.toEqual({ value: 'kept', batchSize: 1, lead: true });
    expect(seen).toEqual([['kept']]);
  });

  it('runs up to maxConcurrentBatches batches at once, and no more', async () => {
    let running = 0;
    let most = 0;
    const b = new Batcher<number, number>({
      maxBatchSize: 2,
      batchWaitTimeoutMs: 1,
      maxConcurrentBatches: 2,
      run: async (items) => {
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 15));
        running--;
        return items;
      },
    });
    await Promise.all(Array.from({ length: 12 }, (_, i) => b.submit(i)));
    expect(most).toBe(2);
  });

  it('a replica runs one batch per whole CPU it reserves, one on a GPU', () => {
    expect(concurrentBatches({ resources: { cpus: 1, gpus: 0, memoryMb: 0 } })).toBe(1);
    expect(concurrentBatches({ resources: { cpus: 2.5, gpus: 0, memoryMb: 0 } })).toBe(2);
    expect(concurrentBatches({ resources: { cpus: 0.25, gpus: 0, memoryMb: 0 } })).toBe(1);
    expect(concurrentBatches({ resources: { cpus: 4, gpus: 0.5, memoryMb: 0 } })).toBe(1);
  });

  it('reports each batch size once to onBatch', async () => {
    const sizes: number[] = [];
    const b = new Batcher<number, number>({ maxBatchSize: 3, batchWaitTimeoutMs: 5, run: async (i) => i, onBatch: (n) => sizes.push(n) });
    await Promise.all([1, 2, 3, 4, 5, 6, 7].map((x) => b.submit(x)));
    expect(sizes.reduce((a, c) => a + c, 0)).toBe(7);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
  });
});
