import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Profile, ProfileProgress } from '../../shared/tuning.js';
import { wholeNumber } from './cluster-options.js';
import { printErrors, printJson } from './print.js';
import { readInputFile } from './read-file.js';
import { loadGraph, tuneErrorText } from './tune-common.js';

interface ProfileCliOptions {
  inputs?: string;
  out?: string;
  samples?: number;
  maxBatch?: number;
  maxConcurrency?: number;
  modelsDir?: string;
  nodes?: string[];
  gpus?: number;
  gpuMemory?: number;
  json?: boolean;
}

/** `beamline profile <graph.json>`: measure every node on this machine; writes <graph>.profile.json. */
export function register(program: Command): void {
  program
    .command('profile')
    .description('measure each node of a graph on this machine (service time by batch size and concurrency) and store the profile beside it (docs/tuning.md)')
    .argument('<graph>', 'graph JSON file')
    .option('--inputs <samples.jsonl>', "request bodies, one JSON object a line, checked against the input node's fields (default: generated from its field types)")
    .option('--out <file>', 'where to write the profile (default: <graph>.profile.json beside the graph)')
    .option('--samples <n>', 'requests generated when no --inputs are given (default 8)', wholeNumber)
    .option('--max-batch <n>', 'largest batch size measured for batchable kinds (default 16)', wholeNumber)
    .option('--max-concurrency <n>', 'largest concurrency per replica measured (default 4)', wholeNumber)
    .option('--models-dir <dir>', 'where model folders named in configs are looked up (default models/)')
    .option('--nodes <modules...>', 'modules exporting defineNode() kinds the graph uses')
    .option('--gpus <n>', 'declare GPUs for nodes that reserve one (they run on the CPU here, as serve --gpus)', wholeNumber)
    .option('--gpu-memory <mb>', 'memory per declared GPU in MB', wholeNumber)
    .option('--json', 'print the profile as JSON (progress still goes to standard error)')
    .action(async (file: string, opts: ProfileCliOptions) => {
      process.exitCode = await profile(file, opts);
    });
}

async function profile(file: string, opts: ProfileCliOptions): Promise<number> {
  const loaded = await loadGraph(file, opts.nodes);
  if ('error' in loaded) {
    process.stderr.write(`${loaded.error}\n`);
    return 1;
  }
  if (!loaded.compiled.ok) {
    printErrors(file, loaded.compiled.errors);
    return 1;
  }
  const plan = loaded.compiled.plan;
  // Loaded here, not at the top: other verbs do not pay for the runtime.
  const { parseSamples, profileGraph, profilePathFor } = await import('../tune/index.js');
  const out = opts.out ?? profilePathFor(file);
  try {
    let samples: Record<string, unknown>[] | undefined;
    if (opts.inputs) {
      const read = readInputFile(opts.inputs);
      if (!read.ok) throw new Error(read.error.message);
      samples = parseSamples(read.text, opts.inputs, plan);
    }
    const result = await profileGraph(
      plan,
      {
        ...(samples ? { samples, inputsSource: 'file' as const, inputsFile: opts.inputs } : {}),
        ...(opts.samples !== undefined ? { generated: Math.max(1, opts.samples) } : {}),
        ...(opts.maxBatch !== undefined ? { maxBatch: opts.maxBatch } : {}),
        ...(opts.maxConcurrency !== undefined ? { maxConcurrency: opts.maxConcurrency } : {}),
        ...(opts.modelsDir ? { modelsDir: opts.modelsDir } : {}),
        ...(opts.gpus !== undefined ? { gpus: opts.gpus } : {}),
        ...(opts.gpuMemory !== undefined ? { gpuMemoryMb: opts.gpuMemory } : {}),
        graphDir: loaded.dir,
        modules: loaded.modules,
      },
      progress,
    );
    // Written only once every node is measured: a failed profile leaves no file.
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    if (opts.json) printJson(result);
    else process.stdout.write(`${summary(result)}\nprofile written to ${out}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`${tuneErrorText(e)}\n`);
    return 1;
  }
}

function progress(e: ProfileProgress): void {
  const line = (s: string) => process.stderr.write(`${s}\n`);
  if (e.type === 'inputs' && e.done === e.total) line(`inputs: ran the graph on ${e.total} sample${e.total === 1 ? '' : 's'}`);
  else if (e.type === 'start') line(`profiling ${e.nodes.length} node${e.nodes.length === 1 ? '' : 's'}, ${e.points} points; about ${Math.ceil(e.estimateS)} s`);
  else if (e.type === 'point') line(`[${e.done}/${e.total}] ${e.node} batch ${e.batch} x ${e.concurrency} concurrent: ${e.meanMs.toFixed(1)} ms mean over ${e.samples} calls (about ${Math.ceil(e.remainingS)} s left)`);
  else if (e.type === 'done') line(`done in ${e.durationS.toFixed(1)} s`);
}

function summary(p: Profile): string {
  const lines = [`${p.graph.name} on ${p.machine.cpus} CPUs (${p.machine.cpuModel}), ${p.machine.gpus} GPUs; inputs: ${p.inputs.count} ${p.inputs.source}`];
  for (const [id, n] of Object.entries(p.nodes)) {
    const pts = n.points.map((x) => `b${x.batch}x${x.concurrency} ${x.serviceMs.mean.toFixed(1)}ms`).join(', ');
    lines.push(`  ${id} (${n.kind}${n.reach < 1 ? `, reached by ${Math.round(n.reach * 100)}%` : ''}): ${pts}`);
  }
  return lines.join('\n');
}
