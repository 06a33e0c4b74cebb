import { writeFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import type { Graph } from '../../shared/graph.js';
import type { Plan } from '../../shared/plan.js';
import type { AutoscaleBounds, Profile, TuneResult } from '../../shared/tuning.js';
import { type ClusterOptions, nonNegative, resolveCluster, wholeNumber } from './cluster-options.js';
import { printErrors, printJson, table } from './print.js';
import { type ServerCliOptions, serverOptions, serverRequest } from './server-client.js';
import { fmtMs, fmtQps, type LoadedGraph, loadGraph, parseDurationMs, tuneErrorText } from './tune-common.js';

export interface TuneCliOptions extends ClusterOptions, Partial<ServerCliOptions> {
  qps: number;
  p99: number;
  profile?: string;
  apply?: boolean;
  autoscale?: { minQps: number; maxQps: number };
  anyMachine?: boolean;
  nodes?: string[];
  verify?: boolean;
  json?: boolean;
}

const positive = (v: string) => {
  const n = nonNegative(v);
  if (n <= 0) throw new InvalidArgumentError('expected a number above 0');
  return n;
};
const duration = (v: string) => {
  const ms = parseDurationMs(v);
  if (!(ms > 0)) throw new InvalidArgumentError('expected a latency such as 250ms or 0.25s');
  return ms;
};
const range = (v: string) => {
  const m = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(v.trim());
  if (!m || Number(m[1]) > Number(m[2]) || Number(m[2]) <= 0) throw new InvalidArgumentError('expected a traffic range MIN-MAX in req/s, e.g. 20-200');
  return { minQps: Number(m[1]), maxQps: Number(m[2]) };
};

/**
 * `beamline tune <graph.json> --qps 200 --p99 250ms`: the settings that meet the target with the
 * fewest GPUs, then CPUs, from the graph's profile. Exit 1 when no configuration meets it (nothing written).
 */
export function register(program: Command): void {
  serverOptions(
    program
      .command('tune')
      .description('choose replicas, batching and concurrency per node that meet a latency target at a rate with the fewest resources (docs/tuning.md)')
      .argument('<graph>', 'graph JSON file (profiled with `beamline profile`)')
      .requiredOption('--qps <n>', 'requests per second to sustain (Poisson arrivals)', positive)
      .requiredOption('--p99 <latency>', 'end-to-end 99th percentile bound, e.g. 250ms or 0.25s', duration)
      .option('--profile <file>', 'the profile (default: <graph>.profile.json beside the graph)')
      .option('--cluster <file>', 'cluster JSON the configuration must fit on (as `plan --cluster`)')
      .option('--gpus <n>', 'GPUs of a one-machine cluster', wholeNumber)
      .option('--cpus <n>', "CPUs of a one-machine cluster (default: this machine's)", nonNegative)
      .option('--gpu-memory <mb>', 'memory per GPU in MB (default 16000)', wholeNumber)
      .option('--memory <mb>', "memory of a one-machine cluster in MB (default: this machine's)", wholeNumber)
      .option('--apply', 'write the settings into the graph file (and redeploy it as a new version when --server runs it)')
      .option('--autoscale <min-max>', 'also choose autoscaling bounds for a traffic range in req/s, e.g. 20-200 (with --apply, written as autoscaling)', range)
      .option('--any-machine', 'use a profile measured on another machine (its figures may not hold here)')
      .option('--nodes <modules...>', 'modules exporting defineNode() kinds the graph uses')
      .option('--verify', 'deploy the tuned graph and measure it under open-loop load at --qps')
      .option('--json', 'print one JSON document: the TuneResult (and autoscale bounds; with --verify, its report as "verify")'),
  ).action(async (file: string, opts: TuneCliOptions, cmd: Command) => {
    const serverGiven = cmd.getOptionValueSource('server') === 'cli' || cmd.getOptionValueSource('server') === 'env';
    process.exitCode = await tuneCommand(file, opts, serverGiven);
  });
}

export async function tuneCommand(file: string, opts: TuneCliOptions, serverGiven = false): Promise<number> {
  const loaded = await loadGraph(file, opts.nodes);
  if ('error' in loaded) return fail(opts, loaded.error);
  if (!loaded.compiled.ok) {
    if (opts.json) printJson({ ok: false, file, errors: loaded.compiled.errors });
    else printErrors(file, loaded.compiled.errors);
    return 1;
  }
  const plan = loaded.compiled.plan;
  // Loaded here, not at the top: other verbs do not pay for the runtime.
  const { applySettings, autoscaleBounds, checkProfile, machineDifferences, profilePathFor, readProfile, thisMachine, tune } = await import('../tune/index.js');
  const cluster = resolveCluster(opts);
  if (!cluster.ok) {
    printErrors(opts.cluster ?? file, cluster.errors);
    return 1;
  }
  let profile: Profile;
  try {
    profile = readProfile(opts.profile ?? profilePathFor(file));
  } catch (e) {
    return fail(opts, tuneErrorText(e));
  }
  const mismatch = checkProfile(profile, plan, opts.anyMachine ? profile.machine : thisMachine());
  if (mismatch) return fail(opts, `error: ${mismatch}`);
  if (opts.anyMachine && machineDifferences(profile.machine, thisMachine()).length) process.stderr.write('warning: the profile was measured on another machine (--any-machine)\n');

  const target = { qps: opts.qps, p99Ms: opts.p99 };
  const resources = { cluster: cluster.cluster };
  const result = tune(plan, profile, target, resources);
  let bounds: AutoscaleBounds | undefined;
  if (result.ok && opts.autoscale) {
    try {
      bounds = autoscaleBounds(plan, profile, { ...opts.autoscale, p99Ms: opts.p99 }, resources);
    } catch (e) {
      return fail(opts, `error: --autoscale ${opts.autoscale.minQps}-${opts.autoscale.maxQps}: ${(e as Error).message}`);
    }
  }
  const doc = { ...result, ...(bounds ? { autoscale: bounds } : {}) };
  // With --verify the TuneResult and the verify report are one document, printed once the load ends.
  if (!opts.json) process.stdout.write(`${report(plan, result, cluster.source, bounds)}\n`);
  else if (!(result.ok && opts.verify)) printJson(doc);
  // Nothing is written or deployed on a failed tune.
  if (!result.ok) return 1;
  const tuned = applySettings(loaded.doc as unknown as Graph, result.settings, bounds);
  if (opts.apply) {
    const code = await applyTuned(loaded, tuned, opts, serverGiven);
    if (code) return code;
  }
  if (opts.verify) return verifyTuned({ loaded, plan, profile, result, tuned, opts, doc }, serverGiven);
  return 0;
}

function fail(opts: TuneCliOptions, message: string): number {
  if (opts.json) printJson({ ok: false, reason: message.replace(/^error: /, '') });
  process.stderr.write(`${message.startsWith('error:') ? message : `error: ${message}`}\n`);
  return 1;
}

/** Writes the graph file; with --server, redeploys it there as a new version when that server runs it. */
async function applyTuned(loaded: LoadedGraph, tuned: Graph, opts: TuneCliOptions, serverGiven: boolean): Promise<number> {
  writeFileSync(loaded.file, `${JSON.stringify(tuned, null, 2)}\n`);
  process.stderr.write(`settings written to ${loaded.file}\n`);
  if (!serverGiven || !opts.server) return 0;
  const server = { server: opts.server, ...(opts.token ? { token: opts.token } : {}) };
  const running = await serverRequest(server, 'GET', `api/graphs/${encodeURIComponent(tuned.name)}`);
  if (!running.ok) {
    process.stderr.write(running.status === 404 ? `${tuned.name} is not deployed on ${opts.server}: not redeployed\n` : `${running.message}\n`);
    return running.status === 404 ? 0 : 1;
  }
  const r = await serverRequest(server, 'POST', 'api/graphs', tuned);
  if (!r.ok) {
    process.stderr.write(`${r.message}\n`);
    return 1;
  }
  process.stderr.write(`redeployed ${tuned.name} on ${opts.server} as a new version\n`);
  return 0;
}

/** What --verify gets: the tuned graph, its prediction and the options. */
export interface TunedContext {
  loaded: LoadedGraph;
  plan: Plan;
  profile: Profile;
  result: Extract<TuneResult, { ok: true }>;
  tuned: Graph;
  opts: TuneCliOptions;
  /** The JSON document --json prints, which the verify report joins. */
  doc: Record<string, unknown>;
}

/** `--verify` (runtime/tune/verify.ts): deploys `tuned`, loads it at --qps, prints measured vs predicted. */
async function verifyTuned(ctx: TunedContext, serverGiven: boolean): Promise<number> {
  const cluster = resolveCluster(ctx.opts);
  if (!cluster.ok) return 1;
  const { verifyCommand } = await import('./tune-verify.js');
  const server = serverGiven && ctx.opts.server ? { server: ctx.opts.server, ...(ctx.opts.token ? { token: ctx.opts.token } : {}) } : undefined;
  return verifyCommand({
    plan: ctx.plan,
    profile: ctx.profile,
    prediction: ctx.result.prediction,
    tuned: ctx.tuned,
    dir: ctx.loaded.dir,
    modules: ctx.loaded.modules,
    qps: ctx.opts.qps,
    cluster: cluster.cluster,
    ...(server ? { server } : {}),
    ...(ctx.opts.json ? { json: ctx.doc } : {}),
  });
}

function report(plan: Plan, r: TuneResult, clusterSource: string, bounds?: AutoscaleBounds): string {
  const head = `target: p99 ≤ ${fmtMs(r.target.p99Ms)} at ${fmtQps(r.target.qps)} on ${clusterSource}`;
  if (!r.ok) {
    const lines = [head, `cannot be met: ${r.reason}`, `best reachable p99 at this rate: ${fmtMs(r.bestP99Ms)}`, `throughput ceiling on these resources: ${fmtQps(r.ceilingQps)}`];
    for (const b of r.best?.binds ?? []) lines.push(`binds: ${b.node} (${b.resource}): ${b.why}`);
    return lines.join('\n');
  }
  const rows = Object.entries(r.settings).map(([id, s]) => {
    const p = r.prediction.nodes[id];
    return [id, plan.nodes[id].kind, s.numReplicas, s.maxBatchSize > 1 ? `${s.maxBatchSize} / ${s.batchWaitMs} ms` : '-', s.maxOngoingRequests, s.cpus, s.gpus, `${Math.round(p.utilization * 100)}%`, fmtMs(p.p50Ms), fmtMs(p.p99Ms), fmtQps(p.ceilingQps)];
  });
  const lines = [
    head,
    table(['node', 'kind', 'replicas', 'batch / wait', 'maxOngoing', 'cpus', 'gpus', 'busy', 'p50', 'p99', 'ceiling'], rows),
    `predicted end to end: p50 ${fmtMs(r.prediction.p50Ms)}, p99 ${fmtMs(r.prediction.p99Ms)}; ceiling ${fmtQps(r.prediction.ceilingQps)}`,
    `resources: ${r.totals.gpus} GPU${r.totals.gpus === 1 ? '' : 's'}, ${r.totals.cpus} CPUs, ${r.totals.replicas} replicas (${r.evaluated} configurations evaluated in ${Math.round(r.durationMs)} ms)`,
    ...r.binds.map((b) => `binds: ${b.node} (${b.resource}): ${b.why}`),
    ...r.prediction.assumptions.map((a) => `assumes: ${a}`),
  ];
  if (bounds) {
    lines.push(`autoscaling for ${bounds.minQps}-${bounds.maxQps} req/s:`);
    for (const [id, b] of Object.entries(bounds.nodes)) lines.push(`  ${id}: minReplicas ${b.minReplicas}, maxReplicas ${b.maxReplicas}, targetOngoingRequests ${b.targetOngoingRequests}`);
  }
  return lines.join('\n');
}
