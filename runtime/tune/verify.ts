// `tune --verify`: deploy the tuned graph, drive open-loop Poisson load at the target rate, and
// set what was measured beside what the model predicted, per node and end to end.
import { loadavg } from 'node:os';
import type { NodeStatus } from '../../shared/protocol.js';
import type { Prediction } from '../../shared/tuning.js';
import { type ServerCliOptions, serverRequest } from '../cli/server-client.js';
import { TuneError } from './errors.js';
import { type LoadResult, openLoop } from './load.js';
import { openLoopInThread } from './load-thread.js';

/** Load sent by default, and the most: about 2,000 requests, never more than a minute of arrivals. */
export const DEFAULT_VERIFY_REQUESTS = 2000;
export const MAX_VERIFY_SECONDS = 60;

export interface VerifyOptions {
  /** The tuned graph document (settings applied). */
  graph: { name: string; routePrefix?: string } & Record<string, unknown>;
  prediction: Prediction;
  /** Target rate (requests/s). */
  qps: number;
  /** Request bodies for the input node, used in turn. */
  bodies: readonly unknown[];
  /** Where to deploy: a running server (its URL and token), or a server started here for the run. */
  server: ServerCliOptions | { start: () => Promise<StartedServer> };
  /** The profile's load average (Profile.loadAverage), printed beside the load average now. */
  profiledLoadAverage?: number;
  /** Requests in the measured load (default 2000, capped at MAX_VERIFY_SECONDS of arrivals). */
  requests?: number;
  /** Requests sent one after another before the load, so models are loaded and code is warm (default 20). */
  warmup?: number;
  seed?: number;
  /** One line per step (deploy, warm-up, load progress). */
  log?: (line: string) => void;
}

/** A server verify started itself; `deploy` (createServer's) deploys with the graph file's folder, so a retriever's docs resolve as `serve` would. */
export interface StartedServer {
  url: string;
  close(): Promise<void>;
  deploy?(graph: unknown): Promise<{ ok: true } | { ok: false; error: string; errors: { node?: string; message: string }[] }>;
}

export interface Figures {
  p50Ms: number | null;
  p99Ms: number | null;
  /** Requests/s. */
  qps: number | null;
}

export interface Compared {
  predicted: Figures;
  measured: Figures;
  /** measured / predicted, null where either is missing or the prediction is 0. */
  ratio: Figures;
}

export interface VerifyReport {
  qps: number;
  /** Load as sent: arrivals, answers by outcome, arrivals dropped because too many were outstanding. */
  load: { requests: number; sent: number; ok: number; failed: number; overflow: number; durationS: number; maxLagMs: number };
  endToEnd: Compared;
  /** Per replica-backed node; measured latency is the node's recent window (queue wait included), its rate the calls completed during the load. */
  nodes: Record<string, Compared & { calls: number; errors: number }>;
  /** 1-minute load average of this machine when the load started, and when the profile was measured (when known). */
  loadAverage: { now: number; profiled?: number };
  /** Whether end-to-end p99 and throughput are within 25 % of the prediction (the issue's goal). */
  withinGoal: boolean;
  /** The first few failures' statuses and messages, when any failed. */
  failures: string[];
}

const GOAL = 0.25;

/** Deploys `graph` (a new version when the server already runs it), loads it, and compares. Throws TuneError naming what to fix. */
export async function verify(o: VerifyOptions): Promise<VerifyReport> {
  const log = o.log ?? (() => {});
  if (!(o.qps > 0)) throw new TuneError(`verify: qps must be above 0 (got ${o.qps})`, 'pass --qps with a positive rate');
  if (o.bodies.length === 0) throw new TuneError('verify: no request bodies to send', 'pass --inputs samples.jsonl, or profile with inputs');
  const requests = Math.max(1, Math.min(o.requests ?? DEFAULT_VERIFY_REQUESTS, Math.ceil(o.qps * MAX_VERIFY_SECONDS)));
  const started = 'start' in o.server ? await o.server.start() : undefined;
  const server: ServerCliOptions = started ? { server: started.url } : (o.server as ServerCliOptions);
  try {
    log(`deploying ${o.graph.name} on ${server.server}`);
    const dep = started?.deploy ? await started.deploy(o.graph) : await serverRequest(server, 'POST', '/api/graphs', o.graph);
    if (!dep.ok) {
      const message = 'message' in dep ? dep.message : dep.error;
      throw new TuneError(`verify: the tuned graph was not deployed: ${message}${errorLines('body' in dep ? dep.body : dep)}`, 'fix the graph, or tune for resources the server has');
    }
    const before = await nodeStatus(server, o.graph.name);
    const notRunning = Object.values(before).filter((n) => n.runsIn === 'replica' && (n.error || n.replicas.some((r) => r.state !== 'RUNNING')));
    if (notRunning.length) {
      const why = notRunning.map((n) => `${n.id}: ${n.error ?? n.replicas.filter((r) => r.state !== 'RUNNING').map((r) => `${r.state}${r.reason ? ` (${r.reason})` : ''}`).join(', ')}`);
      throw new TuneError(`verify: not every replica of ${o.graph.name} is running, so the load would not measure the tuned settings: ${why.join('; ')}`, 'verify on a server with the resources the tune was for (--cpus/--gpus or --cluster)');
    }
    const url = new URL(o.graph.routePrefix ?? `/${o.graph.name}`, server.server).href;
    const headers: Record<string, string> = server.token ? { authorization: `Bearer ${server.token}` } : {};
    const warmup = o.warmup ?? 20;
    if (warmup > 0) {
      log(`warming up: ${warmup} requests`);
      // One at a time, at a rate far below the target: warm models and code, not a load.
      const w = await openLoop({ url, rate: 1000, requests: warmup, maxOutstanding: 1, body: (i) => o.bodies[i % o.bodies.length], headers }).done;
      if (w.ok === 0) throw new TuneError(`verify: every warm-up request failed (${describeFailures(w).join('; ')})`, 'check the inputs match the input node and the graph answers a single request');
    }
    const mid = await nodeStatus(server, o.graph.name);
    const loadNow = Math.round(loadavg()[0] * 100) / 100;
    log(`load: ${requests} requests at ${o.qps}/s (Poisson arrivals), about ${Math.ceil(requests / o.qps)} s`);
    // On a thread of its own: a server started here shares this thread, and must not delay the arrivals.
    const bodies = o.bodies.map((_, i) => o.bodies[(i + warmup) % o.bodies.length]);
    const run = openLoopInThread({ url, rate: o.qps, requests, bodies, headers, seed: o.seed ?? 1 });
    const ticker = setInterval(() => log(`  sent ${run.counts.sent}/${requests}, answered ${run.counts.answered}, failed ${run.counts.failed}, overflow ${run.counts.overflow}`), 5000);
    const r = await run.done.finally(() => clearInterval(ticker));
    const after = await nodeStatus(server, o.graph.name);
    return report(o, r, mid, after, loadNow);
  } finally {
    await started?.close();
  }
}

function report(o: VerifyOptions, r: LoadResult, mid: Record<string, NodeStatus>, after: Record<string, NodeStatus>, loadNow: number): VerifyReport {
  const seconds = r.durationMs / 1000;
  const e2e = compare({ p50Ms: o.prediction.p50Ms, p99Ms: o.prediction.p99Ms, qps: Math.min(o.qps, o.prediction.ceilingQps) }, { p50Ms: r.p50Ms, p99Ms: r.p99Ms, qps: r.throughput });
  const nodes: VerifyReport['nodes'] = {};
  for (const [id, p] of Object.entries(o.prediction.nodes)) {
    const a = after[id];
    if (a?.runsIn !== 'replica') continue;
    const calls = a.metrics.requests - (mid[id]?.metrics.requests ?? 0);
    const errors = a.metrics.errors - (mid[id]?.metrics.errors ?? 0);
    nodes[id] = {
      ...compare(
        { p50Ms: p.p50Ms, p99Ms: p.p99Ms, qps: Math.min(p.arrivalQps, p.ceilingQps) },
        { p50Ms: a.metrics.p50Ms, p99Ms: a.metrics.p99Ms, qps: seconds > 0 ? calls / seconds : null },
      ),
      calls,
      errors,
    };
  }
  const near = (x: number | null) => x !== null && Math.abs(x - 1) <= GOAL;
  return {
    qps: o.qps,
    load: { requests: r.arrived, sent: r.sent, ok: r.ok, failed: r.failed, overflow: r.overflow, durationS: round(seconds), maxLagMs: round(r.maxLagMs) },
    endToEnd: e2e,
    nodes,
    loadAverage: { now: loadNow, ...(o.profiledLoadAverage !== undefined ? { profiled: o.profiledLoadAverage } : {}) },
    withinGoal: near(e2e.ratio.p99Ms) && near(e2e.ratio.qps),
    failures: describeFailures(r),
  };
}

function compare(predicted: Figures, measured: Figures): Compared {
  const ratio = (m: number | null, p: number | null) => (m === null || p === null || p === 0 || !Number.isFinite(p) ? null : round(m / p, 3));
  const r2 = (f: Figures): Figures => ({ p50Ms: nullable(f.p50Ms), p99Ms: nullable(f.p99Ms), qps: nullable(f.qps) });
  return {
    predicted: r2(predicted),
    measured: r2(measured),
    ratio: { p50Ms: ratio(measured.p50Ms, predicted.p50Ms), p99Ms: ratio(measured.p99Ms, predicted.p99Ms), qps: ratio(measured.qps, predicted.qps) },
  };
}

async function nodeStatus(server: ServerCliOptions, name: string): Promise<Record<string, NodeStatus>> {
  const r = await serverRequest(server, 'GET', `/api/graphs/${encodeURIComponent(name)}`);
  if (!r.ok) throw new TuneError(`verify: cannot read the status of ${name}: ${r.message}`);
  return (r.body as { nodes: Record<string, NodeStatus> }).nodes;
}

function describeFailures(r: LoadResult): string[] {
  const seen = new Map<string, number>();
  for (const x of r.outcomes) {
    if (x.status >= 200 && x.status < 300) continue;
    const k = x.status === 0 ? `no answer: ${x.error ?? 'unknown'}` : `HTTP ${x.status}`;
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  return [...seen].slice(0, 5).map(([k, n]) => `${n}× ${k}`);
}

function errorLines(body: unknown): string {
  const errors = (body as { errors?: { message?: string; node?: string }[] } | undefined)?.errors;
  return Array.isArray(errors) && errors.length ? `\n${errors.map((e) => `  ${e.node ? `node ${e.node}: ` : ''}${e.message}`).join('\n')}` : '';
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const nullable = (x: number | null) => (x === null || !Number.isFinite(x) ? null : round(x, 2));

/** The report as the CLI prints it: one line end to end, one per node, measured vs predicted with the ratio. */
export function formatVerify(v: VerifyReport): string[] {
  const f = (x: number | null, unit: string) => (x === null ? '-' : `${x}${unit}`);
  const row = (name: string, c: Compared) =>
    `${name.padEnd(16)} p50 ${f(c.measured.p50Ms, ' ms')} vs ${f(c.predicted.p50Ms, ' ms')} (${f(c.ratio.p50Ms, '×')})  p99 ${f(c.measured.p99Ms, ' ms')} vs ${f(c.predicted.p99Ms, ' ms')} (${f(c.ratio.p99Ms, '×')})  ${f(c.measured.qps, '/s')} vs ${f(c.predicted.qps, '/s')} (${f(c.ratio.qps, '×')})`;
  const l = v.load;
  return [
    `verify: ${l.sent} sent of ${l.requests} arrivals at ${v.qps}/s over ${l.durationS} s; ${l.ok} ok, ${l.failed} failed, ${l.overflow} not sent (too many outstanding)`,
    'measured vs predicted (ratio):',
    row('end to end', v.endToEnd),
    ...Object.entries(v.nodes).map(([id, c]) => row(id, c)),
    ...(v.failures.length ? [`failures: ${v.failures.join('; ')}`] : []),
    // Other processes' load is in every figure: a tail profiled at one load and measured at another differs by it.
    `load average ${v.loadAverage.now} when the load started${v.loadAverage.profiled !== undefined ? `, ${v.loadAverage.profiled} when profiled` : ''}`,
    v.withinGoal ? 'end-to-end p99 and throughput within 25 % of the prediction' : 'end-to-end p99 or throughput is more than 25 % off the prediction (docs/tuning.md, Verify)',
  ];
}
