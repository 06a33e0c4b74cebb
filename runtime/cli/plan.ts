import { type Command, Option } from 'commander';
import { formatGpuWarning, gpuWarnings } from '../../shared/gpu-use.js';
import { demandsFromPlan, gpuLowerBound, gpusWithoutSharing, place } from '../../shared/placement.js';
import { type ClusterOptions, nonNegative, resolveCluster, wholeNumber } from './cluster-options.js';
import { type PlanReport, planJson, planText } from './plan-report.js';
import { printErrors, printJson } from './print.js';
import { compileFile } from './read-file.js';

export interface PlanOptions extends ClusterOptions {
  json?: boolean;
  replicas: 'initial' | 'max';
}

/** `beamline plan <graph.json>`: the stages and where every replica would run. */
export function register(program: Command): void {
  program
    .command('plan')
    .description('show the stages of a graph and where each replica would run (exit 1 on an invalid graph or cluster)')
    .argument('<graph>', 'graph JSON file (- reads standard input)')
    .option('--cluster <file>', 'cluster JSON: {"machines": [{"id", "cpus", "memoryMb", "gpus": N | [{"memoryMb"}], "gpuMemoryMb"}]}')
    .option('--gpus <n>', 'GPUs of a one-machine cluster (declared, not detected)', wholeNumber)
    .option('--cpus <n>', "CPUs of a one-machine cluster (default: this machine's)", nonNegative)
    .option('--gpu-memory <mb>', 'memory per declared GPU in MB (default 16000)', wholeNumber)
    .option('--memory <mb>', "memory of a one-machine cluster in MB (default: this machine's)", wholeNumber)
    .addOption(new Option('--replicas <when>', 'place the replicas started at deploy time, or the autoscaling maximum').choices(['initial', 'max']).default('initial'))
    .option('--json', 'print one JSON document: {ok, errors} or the plan with gpusUsed, per-GPU assignments and unplaced replicas')
    .action((file: string, opts: PlanOptions) => {
      process.exitCode = plan(file, opts);
    });
}

export function plan(file: string, opts: PlanOptions): number {
  const compiled = compileFile(file);
  const cluster = resolveCluster(opts);
  const errors = [...(compiled.ok ? [] : compiled.errors), ...(cluster.ok ? [] : cluster.errors)];
  if (!compiled.ok || !cluster.ok) {
    if (opts.json) printJson({ ok: false, file, errors });
    else printErrors(file, errors);
    return 1;
  }
  const demands = demandsFromPlan(compiled.plan, opts.replicas);
  const report: PlanReport = {
    plan: compiled.plan,
    cluster: cluster.cluster,
    clusterSource: cluster.source,
    placement: place(demands, cluster.cluster),
    gpusWithoutSharing: gpusWithoutSharing(demands),
    gpuLowerBound: gpuLowerBound(demands),
    replicasAt: opts.replicas,
  };
  // GPU reservations the nodes' implementations cannot use: reported, not refused.
  const warnings = gpuWarnings(compiled.plan);
  if (opts.json) printJson({ ...planJson(file, report), ...(warnings.length ? { warnings } : {}) });
  else {
    process.stdout.write(planText(report));
    for (const w of warnings) process.stderr.write(`${formatGpuWarning(w)}\n`);
  }
  return 0;
}
