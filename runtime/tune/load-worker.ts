// The open-loop load on a thread of its own (load-thread.ts starts it): its timers and sockets are
// not held up by a server running on the main thread of the same process.
import { parentPort, workerData } from 'node:worker_threads';
import { type LoadCounts, type LoadOptions, type LoadResult, openLoop } from './load.js';

export type LoadThreadData = Omit<LoadOptions, 'body'> & { bodies: unknown[] };
export type LoadThreadMessage = { t: 'counts'; counts: LoadCounts } | { t: 'done'; result: LoadResult } | { t: 'error'; message: string };

const port = parentPort!;
const { bodies, ...opts } = workerData as LoadThreadData;
try {
  const run = openLoop({ ...opts, body: (i) => bodies[i % bodies.length] });
  const tick = setInterval(() => port.postMessage({ t: 'counts', counts: { ...run.counts } } satisfies LoadThreadMessage), 100);
  port.on('message', (m: { t: string }) => {
    if (m.t === 'stop') run.stop();
  });
  void run.done.then((result) => {
    clearInterval(tick);
    port.postMessage({ t: 'done', result } satisfies LoadThreadMessage);
    port.close();
  });
} catch (e) {
  port.postMessage({ t: 'error', message: (e as Error).message } satisfies LoadThreadMessage);
  port.close();
}
