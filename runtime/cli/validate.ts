import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { formatGpuWarning, gpuWarnings } from '../../shared/gpu-use.js';
import { checkPlanModels } from '../models/check-plan.js';
import { checkPlanSecrets } from '../security/secret-check.js';
import { printErrors, printJson, num } from './print.js';
import { compileFile } from './read-file.js';
import { policyFromOptions, type SecretOptions, secretOptions } from './secret-options.js';

export interface ValidateOptions extends SecretOptions {
  json?: boolean;
  /** Where model folders named in configs are looked up; the project models/ by default, as serve. */
  modelsDir?: string;
}

const DEFAULT_MODELS_DIR = fileURLToPath(new URL('../../models', import.meta.url));

/** `beamline validate <graph.json>`: exit 0 with a one-line summary, or exit 1 with every error. */
export function register(program: Command): void {
  secretOptions(program.command('validate'))
    .description('check a graph file: exit 0 with a summary, or exit 1 with every error, one per line')
    .argument('<graph>', 'graph JSON file (- reads standard input)')
    .option('--json', 'print one JSON document: {ok, errors} or {ok, summary}')
    .option('--models-dir <dir>', 'where model folders named in configs are looked up (default: the project models/, as serve)')
    .action((file: string, opts: ValidateOptions) => {
      process.exitCode = validate(file, opts);
    });
}

export function validate(file: string, opts: ValidateOptions): number {
  const policy = policyFromOptions(opts);
  if (policy instanceof Error) {
    process.stderr.write(`${policy.message}\n`);
    return 2;
  }
  const compiled = compileFile(file);
  // What `serve` with the same flags would refuse: secret env vars it may not read, base URLs it does not pin.
  // And model folders that cannot work with their node (runtime/models/layout.ts).
  const modelsDir = resolve(opts.modelsDir ?? process.env.BEAMLINE_MODELS_DIR ?? DEFAULT_MODELS_DIR);
  const errors = compiled.ok ? [...checkPlanSecrets(compiled.plan, policy), ...checkPlanModels(compiled.plan, modelsDir)] : compiled.errors;
  if (!compiled.ok || errors.length > 0) {
    if (opts.json) printJson({ ok: false, file, errors });
    else printErrors(file, errors);
    return 1;
  }
  const p = compiled.plan;
  const summary = {
    name: p.name,
    routePrefix: p.routePrefix,
    nodes: p.order.length,
    edges: p.graph.edges.length,
    stages: p.stages.length,
    totals: p.totals,
  };
  // GPU reservations the nodes' implementations cannot use: reported, not refused.
  const warnings = gpuWarnings(p);
  if (opts.json) printJson({ ok: true, file, summary, ...(warnings.length ? { warnings } : {}) });
  else {
    for (const w of warnings) process.stderr.write(`${formatGpuWarning(w)}\n`);
    const t = p.totals;
    process.stdout.write(
      `ok ${file}: graph ${p.name} at ${p.routePrefix}, ${summary.nodes} nodes, ${summary.edges} edges, ${summary.stages} stages, ` +
        `${t.replicas} replicas (${num(t.cpus)} CPUs, ${num(t.gpus)} GPU${t.gpus === 1 ? '' : 's'})\n`,
    );
  }
  return 0;
}
