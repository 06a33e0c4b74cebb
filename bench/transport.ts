// Replica transport: worker_threads vs child processes on this machine.
// Round-trip latency of a small JSON message (sequential and 32 in flight) and
// resident memory added per replica. The runtime's choice is recorded in docs/runtime.md.
import { fork } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { report } from './lib/report.js';

const N = 5000;
const REPLICAS = 4;
const dir = join(tmpdir(), 'beamline-transport');
mkdirSync(dir, { recursive: true });
const echoThread = join(dir, 'thread.mjs');
const echoProcess = join(dir, 'process.mjs');
writeFileSync(echoThread, "import { parentPort } from 'node:worker_threads'; parentPort.on('message', (m) => parentPort.postMessage(m));");
writeFileSync(echoProcess, "process.on('message', (m) => process.send(m));");

interface Endpoint {
  send(m: unknown): void;
  onMessage(f: (m: unknown) => void): void;
  stop(): Promise<void>;
}
const msg = { id: 0, inputs: { text: 'what is a replica?', n: 42 } };

async function roundTrips(ep: Endpoint, inFlight: number): Promise<{ p50Us: number; perSecond: number }> {
  const lat: number[] = [];
  let sent = 0;
  let done = 0;
  const started = new Map<number, number>();
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const next = () => {
      const id = sent++;
      started.set(id, performance.now());
      ep.send({ ...msg, id });
    };
    ep.onMessage((m) => {
      const id = (m as { id: number }).id;
      lat.push(performance.now() - started.get(id)!);
      done++;
      if (done === N) resolve();
      else if (sent < N) next();
    });
    for (let i = 0; i < inFlight; i++) next();
  });
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { p50Us: Math.round(lat[Math.floor(lat.length / 2)] * 1000), perSecond: Math.round(N / secs) };
}

function thread(): Endpoint {
  const w = new Worker(echoThread);
  return { send: (m) => w.postMessage(m), onMessage: (f) => w.removeAllListeners('message').on('message', f), stop: async () => void (await w.terminate()) };
}
function child(): Endpoint {
  const c = fork(echoProcess, [], { serialization: 'advanced' });
  pids.push(c.pid!);
  return { send: (m) => c.send(m as object), onMessage: (f) => c.removeAllListeners('message').on('message', f), stop: async () => void c.kill() };
}

function rssMb(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      kb += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch {}
  }
  return kb / 1024;
}

async function measure(name: string, make: () => Endpoint, childPids: (eps: Endpoint[]) => number[]) {
  const base = process.memoryUsage().rss / 2 ** 20;
  const eps = Array.from({ length: REPLICAS }, make);
  await new Promise((r) => setTimeout(r, 500));
  await roundTrips(eps[0], 1); // warm up
  const seq = await roundTrips(eps[0], 1);
  const par = await roundTrips(eps[0], 32);
  const mem = process.memoryUsage().rss / 2 ** 20 - base + rssMb(childPids(eps));
  for (const e of eps) await e.stop();
  return { name, sequentialP50Us: seq.p50Us, sequentialPerSecond: seq.perSecond, inFlight32PerSecond: par.perSecond, memoryPerReplicaMb: Math.round(mem / REPLICAS) };
}

const pids: number[] = [];
const results = [
  await measure('worker_threads', thread, () => []),
  await measure('child_process', child, () => pids),
];
const [threads, proc] = results;
report({
  name: 'transport',
  what: `replica transport: a small JSON message echoed by a worker thread vs a child process (IPC, advanced serialization), ${N} round trips; memory added per replica over ${REPLICAS} replicas`,
  summary: [
    { metric: 'round trip p50, one at a time (µs)', value: threads.sequentialP50Us, baseline: proc.sequentialP50Us, ratio: threads.sequentialP50Us / proc.sequentialP50Us },
    { metric: 'messages/s, 32 in flight', value: threads.inFlight32PerSecond, baseline: proc.inFlight32PerSecond, ratio: threads.inFlight32PerSecond / proc.inFlight32PerSecond },
    { metric: 'memory per replica (MB)', value: threads.memoryPerReplicaMb, baseline: proc.memoryPerReplicaMb, ratio: threads.memoryPerReplicaMb / proc.memoryPerReplicaMb },
  ],
  figure: 'value: worker_threads; baseline: child_process',
  details: results,
});
