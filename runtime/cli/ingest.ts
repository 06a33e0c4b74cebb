import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { printErrors, printJson } from './print.js';
import { compileFile } from './read-file.js';

const DEFAULT_MODELS_DIR = fileURLToPath(new URL('../../models', import.meta.url));

export interface IngestCliOptions {
  docs?: string;
  dataDir: string;
  modelsDir: string;
  index?: string;
  node?: string;
  batchSize: string;
  json?: boolean;
}

/** `beamline ingest <graph.json> --docs <folder>`: chunk, embed with the graph's embedder, write the index. */
export function register(program: Command): void {
  program
    .command('ingest')
    .description("build a retriever's index: chunk .md/.txt/.jsonl documents and embed them with the graph's own embedder")
    .argument('<graph>', 'graph JSON file')
    .option('--docs <folder>', "documents folder (default: the retriever's config.docs, relative to the graph file)")
    .option('--data-dir <dir>', 'data directory holding indexes/ (as serve)', process.env.BEAMLINE_DATA_DIR ?? './.beamline')
    .option('--models-dir <dir>', 'where model folders named in configs are looked up (default: the project models/, as serve)', process.env.BEAMLINE_MODELS_DIR ?? DEFAULT_MODELS_DIR)
    .option('--index <name>', "index name (default: the retriever's config.index)")
    .option('--node <id>', 'retriever node id, when the graph has several')
    .option('--batch-size <n>', 'chunks per embedding call', '32')
    .option('--json', 'print the result as one JSON document')
    .action(async (file: string, opts: IngestCliOptions) => {
      process.exitCode = await ingestCommand(file, opts);
    });
}

export async function ingestCommand(file: string, opts: IngestCliOptions): Promise<number> {
  const compiled = compileFile(file);
  if (!compiled.ok) {
    if (opts.json) printJson({ ok: false, file, errors: compiled.errors });
    else printErrors(file, compiled.errors);
    return 1;
  }
  const { ingest, pickRetriever } = await import('../ingest.js');
  const log = (m: string) => process.stderr.write(`${m}\n`);
  try {
    const node = pickRetriever(compiled.plan, opts.node);
    const configured = (node.config as { docs?: string }).docs;
    const docs = opts.docs ?? (configured !== undefined ? resolve(dirname(file), configured) : undefined);
    if (!docs) throw new Error(`retriever ${node.id} has no config.docs: pass --docs <folder>`);
    const batchSize = Number(opts.batchSize);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`--batch-size must be a whole number above 0, got ${opts.batchSize}`);
    const result = await ingest({
      plan: compiled.plan,
      retriever: node.id,
      docsDir: resolve(docs),
      dataDir: resolve(opts.dataDir),
      modelsDir: resolve(opts.modelsDir),
      batchSize,
      ...(opts.index !== undefined ? { index: opts.index } : {}),
      log,
    });
    if (opts.json) printJson({ ok: true, file, ...result });
    else process.stdout.write(`ok index ${result.index}: ${result.meta.count} chunks from ${result.documents} documents, dim ${result.meta.dim}, model ${result.meta.model} -> ${result.dir}\n`);
    return 0;
  } catch (e) {
    const message = (e as Error).message;
    if (opts.json) printJson({ ok: false, file, errors: [{ code: 'ingest_failed', path: '$', message }] });
    else process.stderr.write(`${file}: ${message}\n`);
    return 1;
  }
}
