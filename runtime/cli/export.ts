import { resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { checkImage, checkRayVersion } from '../export/flags.js';
import { printJson } from './print.js';
import { readInputFile } from './read-file.js';

export interface ExportCliOptions {
  target: 'rayservice' | 'serve-config';
  out: string;
  image?: string;
  rayVersion?: string;
  workerCpus?: number;
  workerMemoryMb?: number;
  gpuWorkerCpus?: number;
  gpuWorkerMemoryMb?: number;
  gpusPerWorker?: number;
  gpuMemoryMb?: number;
  upgradeStrategy?: 'NewCluster' | 'NewClusterWithIncrementalUpgrade' | 'None';
  gatewayClass?: string;
  modelsDir: string;
  dataDir: string;
  copyAssets: boolean;
  json?: boolean;
}

const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
};

/** A flag value checked by the exporter's own rule, so the CLI and the library refuse the same values. */
const checked = (check: (v: string) => string | undefined) => (v: string) => {
  const why = check(v);
  if (why) throw new InvalidArgumentError(why);
  return v;
};

/** `beamline export <graph.json...> --target rayservice -o <dir>`: a Ray Serve app per graph, their Serve config and a KubeRay RayService. */
export function register(program: Command): void {
  program
    .command('export')
    .description('write graphs as Ray Serve applications (one per graph) with their Serve config and, for rayservice, a KubeRay RayService')
    .argument('<graphs...>', 'graph JSON files; several become several applications of one Serve config and one RayService')
    .addOption(new Option('--target <target>', 'rayservice: apps + Serve config + RayService + Dockerfile; serve-config: apps + Serve config for serve run/deploy').choices(['rayservice', 'serve-config']).default('rayservice'))
    .requiredOption('-o, --out <dir>', 'directory to write')
    .option('--image <image>', "container image the pods run (default: an imported RayService's, else beamline/<graph>:latest)", checked(checkImage))
    .option('--ray-version <version>', "Ray version of the image and cluster (default: an imported RayService's, else 2.52.0)", checked(checkRayVersion))
    .option('--worker-cpus <n>', 'CPUs of a CPU worker pod (default 4, or the imported cpu-workers group)', positive)
    .option('--worker-memory-mb <n>', 'memory of a CPU worker pod, MB (default 16384)', positive)
    .option('--gpu-worker-cpus <n>', 'CPUs of a GPU worker pod (default 8)', positive)
    .option('--gpu-worker-memory-mb <n>', 'memory of a GPU worker pod, MB (default 32768)', positive)
    .option('--gpus-per-worker <n>', 'GPUs of a GPU worker pod (default: what the largest replica needs)', positive)
    .option('--gpu-memory-mb <n>', 'memory of each GPU, MB (default 24576)', positive)
    .addOption(new Option('--upgrade-strategy <type>', "the RayService's spec.upgradeStrategy.type (KubeRay's default is NewCluster)").choices(['NewCluster', 'NewClusterWithIncrementalUpgrade', 'None']))
    .option('--gateway-class <name>', 'NewClusterWithIncrementalUpgrade: the Gateway API class KubeRay moves traffic with (e.g. istio)')
    .option('--models-dir <dir>', 'where model paths in node configs are found', 'models')
    .option('--data-dir <dir>', 'data directory holding indexes/<name>', '.beamline')
    .option('--no-copy-assets', 'do not copy models and indexes into the output directory')
    .option('--json', 'print {ok, files, warnings, missing} or {ok: false, errors}')
    .action(async (files: string[], opts: ExportCliOptions) => {
      process.exitCode = await runExport(files, opts);
    });
}

export async function runExport(files: string | string[], opts: ExportCliOptions): Promise<number> {
  const { exportGraphs, ExportError } = await import('../export/export.js');
  const { writeExport } = await import('../export/write.js');
  const list = Array.isArray(files) ? files : [files];
  const texts: string[] = [];
  for (const file of list) {
    const read = readInputFile(file);
    if (!read.ok) {
      if (opts.json) printJson({ ok: false, errors: [{ message: read.error.message }] });
      else process.stderr.write(`${read.error.message}\n`);
      return 1;
    }
    texts.push(read.text);
  }
  let result: ReturnType<typeof exportGraphs>;
  try {
    result = exportGraphs(texts, {
      target: opts.target,
      image: opts.image,
      rayVersion: opts.rayVersion,
      cpuWorker: { cpus: opts.workerCpus, memoryMb: opts.workerMemoryMb },
      gpuWorker: { cpus: opts.gpuWorkerCpus, memoryMb: opts.gpuWorkerMemoryMb, gpus: opts.gpusPerWorker === undefined ? undefined : Math.round(opts.gpusPerWorker), gpuMemoryMb: opts.gpuMemoryMb },
      ...(opts.upgradeStrategy ? { upgradeStrategy: { type: opts.upgradeStrategy, ...(opts.gatewayClass ? { gatewayClassName: opts.gatewayClass } : {}) } } : {}),
    });
  } catch (e) {
    if (!(e instanceof ExportError)) throw e;
    if (opts.json) printJson({ ok: false, errors: e.problems });
    else {
      for (const p of e.problems) process.stdout.write(`${p.node && !p.message.startsWith('node ') ? `node ${p.node}${p.path ? ` at ${p.path}` : ''}: ` : ''}${p.message}\n`);
      process.stderr.write(`${list.join(', ')}: cannot export (${e.problems.length} problem${e.problems.length === 1 ? '' : 's'})\n`);
    }
    return 1;
  }
  const dir = resolve(opts.out);
  const { written, missing } = writeExport(dir, result, { modelsDir: resolve(opts.modelsDir), dataDir: resolve(opts.dataDir), copyAssets: opts.copyAssets });
  if (opts.json) printJson({ ok: true, dir, files: written, warnings: result.warnings, missing, workerGroups: result.groups });
  else {
    process.stdout.write(`exported ${result.plans.map((p) => p.name).join(', ')} to ${dir} (${opts.target}): ${written.join(', ')}\n`);
    for (const g of result.groups) process.stdout.write(`  ${g.name}: ${g.initial} pod${g.initial === 1 ? '' : 's'} at start, ${g.min}..${g.max}\n`);
    for (const w of result.warnings) process.stderr.write(`note: ${w}\n`);
    for (const m of missing) process.stderr.write(`missing: ${m}\n`);
    process.stdout.write(`next: see ${resolve(dir, 'README.md')}\n`);
  }
  return 0;
}
