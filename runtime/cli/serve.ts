import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { formatError } from '../../shared/errors.js';
import type { GraphStatus } from '../../shared/protocol.js';
import { parseSize } from '../security/limits.js';
import { nonNegative, wholeNumber } from './cluster-options.js';
import { parseJsonText, readInputFile } from './read-file.js';
import { type SecretOptions, secretOptions } from './secret-options.js';

export interface ServeOptions extends SecretOptions {
  port: number;
  host: string;
  gpus?: number;
  gpuMemory?: number;
  cpus?: number;
  memory?: number;
  maxReplicas?: number;
  dataDir: string;
  modelsDir?: string;
  nodes?: string[];
  token?: string;
  insecure?: boolean;
  corsOrigin?: string[];
  allowedHost?: string[];
  allowCustom?: boolean;
  bodyLimit?: number;
  keepVersions?: number;
  maxGraphNodes?: number;
  maxGraphSize?: number;
  persist: boolean;
}

/** `beamline serve [graph.json ...]`: the editor, API, data plane, socket.io and metrics on one port. */
export function register(program: Command): void {
  secretOptions(program.command('serve'))
    .description('deploy graphs and serve them, with the editor at / and the API at /api')
    .argument('[graphs...]', 'graph JSON files to deploy at start')
    .option('--port <n>', 'port to listen on', wholeNumber, 8000)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--gpus <n>', 'declare N virtual GPUs instead of detecting them with nvidia-smi', wholeNumber)
    .option('--gpu-memory <mb>', 'memory of each declared GPU in MB', nonNegative)
    .option('--cpus <n>', 'logical CPUs to schedule replicas on (default: this machine)', nonNegative)
    .option('--memory <mb>', "memory to schedule replicas in, MB (default: this machine's less 10%, at least 1 GB); each replica counts resources.memoryMb or its kind's estimate", nonNegative)
    .option('--max-replicas <n>', 'most replicas this server runs, every graph together (default 64)', wholeNumber)
    .option('--data-dir <dir>', 'data directory (indexes, uploads)', './.beamline')
    .option('--models-dir <dir>', 'where model folders named in configs are looked up')
    .option('--nodes <modules...>', 'modules exporting defineNode() kinds to add to the catalog; with --allow-custom, directories `custom` nodes may load modules from')
    .option('--token <token>', 'token the control plane requires (default: $BEAMLINE_TOKEN); required off loopback')
    .option('--insecure', 'listen off loopback without a token (anyone who reaches the port can deploy code)')
    .option('--cors-origin <origins...>', 'browser origins allowed to call the API and data plane (CORS is off by default)')
    .option(
      '--allowed-host <names>',
      'Host names the server answers to beside the address it is bound to (repeatable, comma lists; also $BEAMLINE_ALLOWED_HOSTS): others get 421, against DNS rebinding',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--allow-custom', 'let `custom` nodes load modules from the --nodes directories')
    .option('--body-limit <size>', 'largest request body or socket.io message, e.g. 10mb', (v: string) => {
      try {
        return parseSize(v);
      } catch (e) {
        throw new InvalidArgumentError((e as Error).message);
      }
    })
    .option('--keep-versions <n>', 'versions kept per graph in the database; the active one is always kept (default 20)', atLeastOne)
    .option('--max-graph-nodes <n>', 'most nodes a deployed graph may have (default 2000)', atLeastOne)
    .option('--max-graph-size <size>', 'largest graph document a deploy accepts, e.g. 5mb (default 5mb)', sizeOption)
    .option('--no-persist', 'do not keep deployed graphs in <data-dir>/beamline.db nor redeploy them at start')
    .action(async (files: string[], opts: ServeOptions) => {
      process.exitCode = await serve(files, opts);
    });
}

function atLeastOne(value: string): number {
  const n = wholeNumber(value);
  if (n < 1) throw new InvalidArgumentError('expected a whole number >= 1');
  return n;
}

function sizeOption(value: string): number {
  try {
    return parseSize(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
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
  const isDir = (p: string) => {
    try {
      return statSync(p).isDirectory();
    } catch {
      return false;
    }
  };
  const moduleDirs = (opts.nodes ?? []).filter(isDir).map((d) => resolve(d));
  const kindModules = (opts.nodes ?? []).filter((p) => !isDir(p));
  if (moduleDirs.length > 0 && !opts.allowCustom) {
    process.stderr.write(`--nodes ${moduleDirs.join(' ')}: a directory of custom modules is user code; add --allow-custom to load from it\n`);
    return 2;
  }
  const { createServer } = await import('../server/index.js');
  const server: Awaited<ReturnType<typeof createServer>> | Error = await createServer({
    port: opts.port,
    host: opts.host,
    dataDir: opts.dataDir,
    ...(opts.modelsDir ? { modelsDir: opts.modelsDir } : {}),
    ...(opts.gpus !== undefined ? { gpus: opts.gpus } : {}),
    ...(opts.gpuMemory !== undefined ? { gpuMemoryMb: opts.gpuMemory } : {}),
    ...(opts.cpus !== undefined ? { cpus: opts.cpus } : {}),
    ...(opts.memory !== undefined ? { memoryMb: opts.memory } : {}),
    ...(opts.maxReplicas !== undefined ? { maxReplicas: opts.maxReplicas } : {}),
    ...(kindModules.length ? { nodes: kindModules } : {}),
    ...(opts.allowCustom ? { moduleDirs } : {}),
    ...(opts.token !== undefined ? { token: opts.token } : {}),
    ...(opts.insecure ? { insecure: true } : {}),
    ...(opts.corsOrigin ? { corsOrigins: opts.corsOrigin } : {}),
    ...(opts.allowedHost ? { allowedHosts: opts.allowedHost } : {}),
    ...(opts.bodyLimit !== undefined ? { bodyLimitBytes: opts.bodyLimit } : {}),
    ...(opts.keepVersions !== undefined ? { keepVersions: opts.keepVersions } : {}),
    ...(opts.maxGraphNodes !== undefined ? { maxGraphNodes: opts.maxGraphNodes } : {}),
    ...(opts.maxGraphSize !== undefined ? { maxGraphBytes: opts.maxGraphSize } : {}),
    // Listed as DEPLOYING from the first request on, and /readyz answers 503 until they are deployed.
    awaitGraphs: graphs.flatMap(({ graph }) => {
      const g = graph as { name?: unknown; routePrefix?: unknown } | null;
      return typeof g?.name === 'string' ? [{ name: g.name, ...(typeof g.routePrefix === 'string' ? { routePrefix: g.routePrefix } : {}) }] : [];
    }),
    ...(opts.allowSecretEnv ? { allowSecretEnv: opts.allowSecretEnv } : {}),
    ...(opts.secretBaseUrl ? { secretBaseUrls: opts.secretBaseUrl } : {}),
    persist: opts.persist,
  }).catch((e: Error) => e);
  if (server instanceof Error) {
    process.stderr.write(`${server.message}\n`);
    return 2;
  }
  const cluster = server.ledger.status();
  const m = cluster.machines[0];
  process.stdout.write(
    `Beamline on ${server.url}  (editor /, API /api, metrics /metrics)\n` +
      `cluster: ${m.cpus} CPUs, ${m.memoryMb} MB, ${cluster.gpus.length} GPU${cluster.gpus.length === 1 ? '' : 's'} (${cluster.gpuSource}), at most ${m.maxReplicas} replicas\n`,
  );
  let failed = false;
  for (const g of graphs) {
    // A retriever's missing index is built from its `docs` by the deploy itself (an ingest job the editor sees).
    const r = await server.deployer.deployIfChanged(g.graph, { graphDir: g.dir });
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
      const limitMs = server.controller.drainTimeoutMs() + 5000;
      process.stdout.write(`\n${signal}: draining replicas (at most ${Math.ceil(limitMs / 1000)} s)...\n`);
      // The process ends even if a replica does not: past the graceful timeout nothing is waited for.
      setTimeout(() => {
        process.stderr.write(`still stopping ${limitMs} ms after ${signal}; exiting\n`);
        process.exit(1);
      }, limitMs).unref();
      void server.close().then(resolveStop);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}
