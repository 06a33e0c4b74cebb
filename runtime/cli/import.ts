import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { printJson } from './print.js';
import { readInputFile } from './read-file.js';

export interface ImportCliOptions {
  out?: string;
  python?: string;
  app?: string;
  json?: boolean;
}

/** `beamline import <serve-config.yaml | rayservice.yaml> -o graph.json`: a Ray Serve app as a graph to edit. */
export function register(program: Command): void {
  program
    .command('import')
    .description('turn a Ray Serve config or a KubeRay RayService into a graph file (deployments become nodes with their settings)')
    .argument('<file>', 'Serve config YAML or RayService YAML')
    .option('-o, --out <graph.json>', 'graph file to write (default: standard output)')
    .option('--python <file>', "the application's Python file: its .bind() calls (and a Beamline export's EDGES) become edges")
    .option('--app <name>', 'application to import from a multi-application config (default: the first)')
    .option('--json', 'print {ok, graph, warnings} or {ok: false, error}')
    .action(async (file: string, opts: ImportCliOptions) => {
      process.exitCode = await runImport(file, opts);
    });
}

export async function runImport(file: string, opts: ImportCliOptions): Promise<number> {
  const { importServeConfig, ServeImportError } = await import('../../shared/ray-import.js');
  const fail = (message: string) => {
    if (opts.json) printJson({ ok: false, error: message });
    else process.stderr.write(`${message}\n`);
    return 1;
  };
  const read = readInputFile(file);
  if (!read.ok) return fail(read.error.message);
  let python: string | undefined;
  if (opts.python) {
    const p = readInputFile(opts.python);
    if (!p.ok) return fail(p.error.message);
    python = p.text;
  }
  let result: ReturnType<typeof importServeConfig>;
  try {
    result = importServeConfig(read.text, { python, application: opts.app });
  } catch (e) {
    if (e instanceof ServeImportError) return fail(`${file} ${e.message}`);
    throw e;
  }
  const text = `${JSON.stringify(result.graph, null, 2)}\n`;
  if (opts.out) writeFileSync(opts.out, text);
  if (opts.json) printJson({ ok: true, graph: result.graph, warnings: result.warnings });
  else {
    if (!opts.out) process.stdout.write(text);
    else process.stdout.write(`imported ${result.graph.name}: ${result.graph.nodes.length} nodes, ${result.graph.edges.length} edges -> ${opts.out}\n`);
    for (const w of result.warnings) process.stderr.write(`note: ${w}\n`);
  }
  return 0;
}
