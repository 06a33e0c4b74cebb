import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { formatError } from '../../shared/errors.js';
import type { GraphStatus } from '../../shared/protocol.js';
import { nonNegative, wholeNumber } from './cluster-options.js';
import { parseJsonText, readInputFile } from './read-file.js';

export interface ServeOptions {
  port: number;
  host: string;
  gpus?: number;
  gpuMemory?: number;
  cpus?: number;
  memory?: number;
  dataDir: string;
  modelsDir?: string;
  nodes?: string[];
}

/** `beamline serve [graph.json ...]`: the editor, API, data plane, socket.io and metrics on one port. */
export function register(program: Command): void {
  program
    .command('serve')
    .description('deploy graphs and serve them, with the editor at / and the API at /api')
    .argument('[graphs...]', 'graph JSON files to deploy at start')
    .option('--port <n>', 'port to listen on', wholeNumber, 8000)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--gpus <n>', 'declare N virtual GPUs instead of detecting them with nvidia-smi', wholeNumber)
    .option('--gpu-memory <mb>', 'memory of each declared GPU in MB', nonNegative)
    .option('--cpus <n>', 'logical CPUs to schedule replicas on (default: this machine)', nonNegative)
    .option('--memory <mb>', 'memory to schedule replicas in, MB (default: this machine)', nonNegative)
    .option('--data-dir <dir>', 'data directory (indexes, uploads)', './.beamline')
    .option('--models-dir <dir>', 'where model folders named in configs are looked up')
    .option('--nodes <modules...>', 'modules exporting defineNode() kinds to add to the catalog')
    .action(async (files: string[], opts: ServeOptions) => {
      process.exitCode = await serve(files, opts);
    });
}

function summary(s: GraphStatus): string {
  const lines = [`graph ${s.name} v${s.version} at POST ${s.routePrefix}: ${s.state}`];
  for (const n of Object.values(s.nodes)) {
    if (n.runsIn !== 'replica') continue;
    const counts = new Map<string, number>();
    for (const r of n.replicas) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
    const why = n.error ?? n.replicas.find((r) => r.state === 'PENDING')?.reason;
    lines.push(`  ${n.id} (${n.kind}): ${[...counts].map(([k, v]) => `${v} ${k}`).join(', ') || 'no replicas'}${why ? ` - ${why}` : ''}`);
  }
  return lines.join('\n');
}

export async function serve(files: string[], opts: ServeOptions): Promise<number> {
  const graphs: { graph: unknown; dir: string; file: string }[] = [];
  for (const file of files) {
    const read = readInputFile(file);
    const json = read.ok ? parseJsonText(read.text, file) : read;
    if (!json.ok) {
      process.stderr.write(`${formatError(json.error)}\n`);
      return 1;
    }
    graphs.push({ graph: json.value, dir: dirname(resolve(file)), file });
  }
  const { createServer } = await import('../server/index.js');
  const server = await createServer({
    port: opts.port,
    host: opts.host,
    dataDir: opts.dataDir,
    ...(opts.modelsDir ? { modelsDir: opts.modelsDir } : {}),
    ...(opts.gpus !== undefined ? { gpus: opts.gpus } : {}),
    ...(opts.gpuMemory !== undefined ? { gpuMemoryMb: opts.gpuMemory } : {}),
    ...(opts.cpus !== undefined ? { cpus: opts.cpus } : {}),
    ...(opts.memory !== undefined ? { memoryMb: opts.memory } : {}),
    ...(opts.nodes ? { nodes: opts.nodes } : {}),
  });
  const cluster = server.ledger.status();
  const m = cluster.machines[0];
  process.stdout.write(
    `Beamline on ${server.url}  (editor /, API /api, metrics /metrics)\n` +
      `cluster: ${m.cpus} CPUs, ${m.memoryMb} MB, ${cluster.gpus.length} GPU${cluster.gpus.length === 1 ? '' : 's'} (${cluster.gpuSource})\n`,
  );
  let failed = false;
  for (const g of graphs) {
    const r = await server.deploy(g.graph, g.dir);
    if (r.ok) process.stdout.write(`${summary(r.deployment.status())}\n`);
    else {
      failed = true;
      process.stderr.write(`${g.file}: ${r.error}\n${r.errors.map((e) => `  ${formatError(e)}`).join('\n')}\n`);
    }
  }
  if (failed) {
    await server.close();
    return 1;
  }
  await new Promise<void>((resolveStop) => {
    const stop = (signal: string) => {
      process.stdout.write(`\n${signal}: draining replicas...\n`);
      void server.close().then(resolveStop);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}
