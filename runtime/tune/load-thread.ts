import { Worker } from 'node:worker_threads';
import type { LoadCounts, LoadOptions, LoadResult, LoadRun } from './load.js';
import type { LoadThreadData, LoadThreadMessage } from './load-worker.js';

const BOOT = new URL('./load-boot.js', import.meta.url);

/**
 * openLoop() on a worker thread: the same schedule and figures, but a server on this thread (verify's
 * in-process server) cannot delay the arrivals. Bodies are given as a list (used in turn), since a
 * function cannot cross to the thread; `counts` follow the thread's about every 100 ms.
 */
export function openLoopInThread(o: Omit<LoadOptions, 'body'> & { bodies: readonly unknown[] }): LoadRun {
  const counts: LoadCounts = { arrived: 0, sent: 0, answered: 0, ok: 0, failed: 0, overflow: 0 };
  const worker = new Worker(BOOT, { workerData: { ...o, bodies: [...o.bodies] } satisfies LoadThreadData });
  const done = new Promise<LoadResult>((resolve, reject) => {
    let settled = false;
    worker.on('message', (m: LoadThreadMessage) => {
      if (m.t === 'counts') Object.assign(counts, m.counts);
      else if (m.t === 'done') {
        settled = true;
        Object.assign(counts, { arrived: m.result.arrived, sent: m.result.sent, answered: m.result.answered, ok: m.result.ok, failed: m.result.failed, overflow: m.result.overflow });
        resolve(m.result);
      } else {
        settled = true;
        reject(new Error(m.message));
      }
    });
    worker.on('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`the load thread exited (code ${code}) before it finished`));
    });
  });
  return { counts, stop: () => worker.postMessage({ t: 'stop' }), done };
}
