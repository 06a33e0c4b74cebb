import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { printJson } from './print.js';
import { readInputFile } from './read-file.js';

export interface ImportCliOptions {
  out?: string;
  python?: string;
  app?: string;
  json?: boolean;
}

/** `beamline import <serve-config.yaml | rayservice.yaml> -o graph.json`: a Ray Serve app as a graph to edit; several apps, one graph each. */
export function register(program: Command): void {
  program
    .command('import')
    .description('turn a Ray Serve config or a KubeRay RayService into graph files, one per application (deployments become nodes with their settings)')
    .argument('<file>', 'Serve config YAML or RayService YAML (other YAML documents in the file are skipped, and named)')
    .option('-o, --out <path>', 'graph file to write; with several applications (and no --app), a directory for <graph>.json files (default: standard output)')
    .option('--python <file>', "the application's Python file: its .bind() calls (and a Beamline export's EDGES) become edges")
    .option('--app <name>', 'import only this application of a multi-application config')
    .option('--json', 'print {ok, graph, warnings} (several applications: {ok, graphs: [{application, graph, warnings}], warnings}) or {ok: false, error}')
    .action(async (file: string, opts: ImportCliOptions) => {
      process.exitCode = await runImport(file, opts);
    });
}

export async function runImport(file: string, opts: ImportCliOptions): Promise<number> {
  const { importServeConfig, importServeConfigAll, ServeImportError } = await import('../../shared/ray-import.js');
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
  let all: ReturnType<typeof importServeConfigAll>;
  try {
    if (opts.app !== undefined) {
      const one = importServeConfig(read.text, { python, application: opts.app });
      all = { applications: [{ application: opts.app, ...one }], warnings: [] };
    } else all = importServeConfigAll(read.text, { python });
  } catch (e) {
    if (e instanceof ServeImportError) return fail(`${file} ${e.message}`);
    throw e;
  }
  const apps = all.applications;
  if (apps.length === 1) {
    const { graph } = apps[0];
    const warnings = [...all.warnings, ...apps[0].warnings];
    const text = `${JSON.stringify(graph, null, 2)}\n`;
    if (opts.out) writeFileSync(opts.out, text);
    if (opts.json) printJson({ ok: true, graph, warnings });
    else {
      if (!opts.out) process.stdout.write(text);
      else process.stdout.write(`imported ${graph.name}: ${graph.nodes.length} nodes, ${graph.edges.length} edges -> ${opts.out}\n`);
      for (const w of warnings) process.stderr.write(`note: ${w}\n`);
    }
    return 0;
  }
  const written: string[] = [];
  if (opts.out) {
    mkdirSync(opts.out, { recursive: true });
    for (const a of apps) {
      const path = join(opts.out, `${a.graph.name}.json`);
      writeFileSync(path, `${JSON.stringify(a.graph, null, 2)}\n`);
      written.push(path);
    }
  }
  if (opts.json) printJson({ ok: true, graphs: apps.map((a) => ({ application: a.application, graph: a.graph, warnings: a.warnings })), warnings: all.warnings });
  else {
    if (!opts.out) process.stdout.write(`${JSON.stringify(apps.map((a) => a.graph), null, 2)}\n`);
    else for (const [i, a] of apps.entries()) process.stdout.write(`imported application ${a.application} as ${a.graph.name}: ${a.graph.nodes.length} nodes, ${a.graph.edges.length} edges -> ${written[i]}\n`);
    for (const w of all.warnings) process.stderr.write(`note: ${w}\n`);
    for (const a of apps) for (const w of a.warnings) process.stderr.write(`note: [${a.application}] ${w}\n`);
  }
  return 0;
}
