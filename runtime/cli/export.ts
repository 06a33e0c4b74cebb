import { resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { printJson } from './print.js';
import { readInputFile } from './read-file.js';

export interface ExportCliOptions {
  target: 'rayservice' | 'serve-config';
  out: string;
  image?: string;
  rayVersion?: string;
  workerCpus: number;
  workerMemoryMb: number;
  gpuWorkerCpus: number;
  gpuWorkerMemoryMb: number;
  gpusPerWorker?: number;
  gpuMemoryMb: number;
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

/** `beamline export <graph.json> --target rayservice -o <dir>`: a Ray Serve app, its Serve config and a KubeRay RayService. */
export function register(program: Command): void {
  program
    .command('export')
    .description('write the graph as a Ray Serve application with its Serve config and, for rayservice, a KubeRay RayService')
    .argument('<graph>', 'graph JSON file')
    .addOption(new Option('--target <target>', 'rayservice: app + Serve config + RayService + Dockerfile; serve-config: app + Serve config for serve run/deploy').choices(['rayservice', 'serve-config']).default('rayservice'))
    .requiredOption('-o, --out <dir>', 'directory to write')
    .option('--image <image>', 'container image the pods run (default beamline/<graph>:latest)')
    .option('--ray-version <version>', 'Ray version of the image and cluster', '2.52.0')
    .option('--worker-cpus <n>', 'CPUs of a CPU worker pod', positive, 4)
    .option('--worker-memory-mb <n>', 'memory of a CPU worker pod, MB', positive, 16384)
    .option('--gpu-worker-cpus <n>', 'CPUs of a GPU worker pod', positive, 8)
    .option('--gpu-worker-memory-mb <n>', 'memory of a GPU worker pod, MB', positive, 32768)
    .option('--gpus-per-worker <n>', 'GPUs of a GPU worker pod (default: what the largest replica needs)', positive)
    .option('--gpu-memory-mb <n>', 'memory of each GPU, MB', positive, 24576)
    .option('--models-dir <dir>', 'where model paths in node configs are found', 'models')
    .option('--data-dir <dir>', 'data directory holding indexes/<name>', '.beamline')
    .option('--no-copy-assets', 'do not copy models and indexes into the output directory')
    .option('--json', 'print {ok, files, warnings, missing} or {ok: false, errors}')
    .action(async (file: string, opts: ExportCliOptions) => {
      process.exitCode = await runExport(file, opts);
    });
}

export async function runExport(file: string, opts: ExportCliOptions): Promise<number> {
  const { exportGraph, ExportError } = await import('../export/export.js');
  const { writeExport } = await import('../export/write.js');
  const read = readInputFile(file);
  if (!read.ok) {
    if (opts.json) printJson({ ok: false, errors: [{ message: read.error.message }] });
    else process.stderr.write(`${read.error.message}\n`);
    return 1;
  }
  let result: ReturnType<typeof exportGraph>;
  try {
    result = exportGraph(read.text, {
      target: opts.target,
      image: opts.image,
      rayVersion: opts.rayVersion,
      cpuWorker: { cpus: opts.workerCpus, memoryMb: opts.workerMemoryMb },
      gpuWorker: { cpus: opts.gpuWorkerCpus, memoryMb: opts.gpuWorkerMemoryMb, gpus: opts.gpusPerWorker === undefined ? undefined : Math.round(opts.gpusPerWorker), gpuMemoryMb: opts.gpuMemoryMb },
    });
  } catch (e) {
    if (!(e instanceof ExportError)) throw e;
    if (opts.json) printJson({ ok: false, errors: e.problems });
    else {
      for (const p of e.problems) process.stdout.write(`${p.node && !p.message.startsWith('node ') ? `node ${p.node}${p.path ? ` at ${p.path}` : ''}: ` : ''}${p.message}\n`);
      process.stderr.write(`${file}: cannot export (${e.problems.length} problem${e.problems.length === 1 ? '' : 's'})\n`);
    }
    return 1;
  }
  const dir = resolve(opts.out);
  const { written, missing } = writeExport(dir, result, { modelsDir: resolve(opts.modelsDir), dataDir: resolve(opts.dataDir), copyAssets: opts.copyAssets });
  if (opts.json) printJson({ ok: true, dir, files: written, warnings: result.warnings, missing, workerGroups: result.groups });
  else {
    process.stdout.write(`exported ${result.plan.name} to ${dir} (${opts.target}): ${written.join(', ')}\n`);
    for (const g of result.groups) process.stdout.write(`  ${g.name}: ${g.initial} pod${g.initial === 1 ? '' : 's'} at start, ${g.min}..${g.max}\n`);
    for (const w of result.warnings) process.stderr.write(`note: ${w}\n`);
    for (const m of missing) process.stderr.write(`missing: ${m}\n`);
    process.stdout.write(`next: see ${resolve(dir, 'README.md')}\n`);
  }
  return 0;
}
