// Open-loop load: requests arrive on a seeded Poisson schedule at a rate, whatever the server
// does with them. A closed-loop client (autocannon's connections) waits for an answer before it
// sends again, so a slow server slows its own load and its tail hides (coordinated omission);
// here a held request never delays the next arrival, and latency counts from the arrival.
import { Agent, request } from 'node:http';
import { seededRandom } from '../../shared/random.js';

export interface LoadOptions {
  /** Where each request is POSTed (a graph's route). */
  url: string;
  /** Mean arrivals per second. */
  rate: number;
  /** Arrivals to schedule in all. */
  requests: number;
  /** The i-th request's JSON body. */
  body: (i: number) => unknown;
  /** Seeds the arrival gaps, so a run repeats (default 1). */
  seed?: number;
  /** Requests in flight at most; an arrival beyond it is counted as overflow and not sent (default 1000). */
  maxOutstanding?: number;
  /** Per-request limit; a request past it counts as failed with status 0 (default 60 s). */
  timeoutMs?: number;
  headers?: Record<string, string>;
}

export interface Outcome {
  /** Arrival index. */
  i: number;
  /** Scheduled arrival, ms after the start. */
  at: number;
  /** Arrival to the end of the answer (ms); the send's own lateness included. */
  latencyMs: number;
  /** HTTP status; 0 when no answer came (connection error, timeout). */
  status: number;
  error?: string;
}

/** Counters that move while the load runs (tests read them, a progress line prints them). */
export interface LoadCounts {
  /** Arrivals whose time has come. */
  arrived: number;
  /** Requests written to a socket. */
  sent: number;
  /** Requests with an answer or an error. */
  answered: number;
  ok: number;
  failed: number;
  /** Arrivals not sent because maxOutstanding were in flight. */
  overflow: number;
}

export interface LoadResult extends LoadCounts {
  rate: number;
  /** First arrival to the last answer (ms). */
  durationMs: number;
  /** Successful answers per second over durationMs. */
  throughput: number;
  /** Percentiles of the successful requests' latency (ms), null with none. */
  p50Ms: number | null;
  p99Ms: number | null;
  /** Latest send after its scheduled arrival (ms): the generator's own lag, which should stay small. */
  maxLagMs: number;
  outcomes: Outcome[];
}

export interface LoadRun {
  readonly counts: LoadCounts;
  /** Stop scheduling arrivals; those in flight still finish. */
  stop(): void;
  done: Promise<LoadResult>;
}

/** Arrival times (ms from the start) of a Poisson process: exponential gaps with mean 1000/rate. */
export function poissonArrivals(rate: number, n: number, seed = 1): number[] {
  if (!(rate > 0)) throw new Error(`rate must be above 0 (got ${rate})`);
  const rnd = seededRandom(seed);
  const out: number[] = [];
  let t = 0;
  for (let i = 0; i < n; i++) {
    t += (-Math.log(1 - rnd()) * 1000) / rate;
    out.push(t);
  }
  return out;
}

/** The q-quantile (0..1) of sorted values, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Starts the load at once; `done` resolves when every arrival was sent (or overflowed) and answered. */
export function openLoop(o: LoadOptions): LoadRun {
  if (!Number.isInteger(o.requests) || o.requests < 0) throw new Error(`requests must be a whole number ≥ 0 (got ${o.requests})`);
  const arrivals = poissonArrivals(o.rate, o.requests, o.seed ?? 1);
  const maxOutstanding = o.maxOutstanding ?? 1000;
  const timeoutMs = o.timeoutMs ?? 60_000;
  const url = new URL(o.url);
  // Keep-alive, and as many sockets as requests may be outstanding: a request never waits for a socket.
  const agent = new Agent({ keepAlive: true, maxSockets: maxOutstanding });
  const counts: LoadCounts = { arrived: 0, sent: 0, answered: 0, ok: 0, failed: 0, overflow: 0 };
  const outcomes: Outcome[] = [];
  let next = 0;
  let outstanding = 0;
  let stopped = false;
  let maxLagMs = 0;
  let lastEnd = 0;
  let timer: NodeJS.Timeout | undefined;
  const t0 = performance.now();
  let finish: (r: LoadResult) => void = () => {};
  const done = new Promise<LoadResult>((r) => {
    finish = r;
  });

  const settle = () => {
    if (outstanding > 0 || (next < arrivals.length && !stopped)) return;
    agent.destroy();
    const lat = outcomes
      .filter((x) => x.status >= 200 && x.status < 300)
      .map((x) => x.latencyMs)
      .sort((a, b) => a - b);
    const first = arrivals[0] ?? 0;
    const durationMs = Math.max(0, lastEnd - first);
    finish({
      ...counts,
      rate: o.rate,
      durationMs,
      throughput: durationMs > 0 ? (counts.ok * 1000) / durationMs : 0,
      p50Ms: quantile(lat, 0.5),
      p99Ms: quantile(lat, 0.99),
      maxLagMs,
      outcomes: outcomes.sort((a, b) => a.i - b.i),
    });
  };

  const send = (i: number, at: number) => {
    const payload = Buffer.from(JSON.stringify(o.body(i)));
    let recorded = false;
    // Once per request, whichever of the response's end, its error or the request's error comes first.
    const record = (status: number, error?: string) => {
      if (recorded) return;
      recorded = true;
      const end = performance.now() - t0;
      lastEnd = Math.max(lastEnd, end);
      outstanding--;
      counts.answered++;
      if (status >= 200 && status < 300) counts.ok++;
      else counts.failed++;
      outcomes.push({ i, at, latencyMs: end - at, status, ...(error !== undefined ? { error } : {}) });
      settle();
    };
    outstanding++;
    counts.sent++;
    maxLagMs = Math.max(maxLagMs, performance.now() - t0 - at);
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': payload.length, ...o.headers }, timeout: timeoutMs },
      (res) => {
        // The body is read to its end so the socket goes back to the pool; its content is not needed.
        res.on('data', () => {});
        res.on('end', () => record(res.statusCode ?? 0));
        res.on('error', (e) => record(0, e.message));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => record(0, e.message));
    req.end(payload);
  };

  // Wakes at the next arrival and sends every arrival that is due: a late wake-up sends a burst
  // rather than shifting the schedule.
  const tick = () => {
    timer = undefined;
    const now = performance.now() - t0;
    while (!stopped && next < arrivals.length && arrivals[next] <= now) {
      const i = next++;
      counts.arrived++;
      if (outstanding >= maxOutstanding) counts.overflow++;
      else send(i, arrivals[i]);
    }
    if (!stopped && next < arrivals.length) timer = setTimeout(tick, Math.max(0, arrivals[next] - (performance.now() - t0)));
    else settle();
  };
  tick();

  return {
    counts,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      settle();
    },
    done,
  };
}
