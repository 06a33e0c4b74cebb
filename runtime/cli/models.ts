import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { formatReport } from '../models/format-report.js';
import { inspectFolder, MODEL_ROLES, type ModelRole } from '../models/layout.js';
import { resolveModelDir } from '../models/resolve.js';
import { printJson } from './print.js';

const DEFAULT_MODELS_DIR = fileURLToPath(new URL('../../models', import.meta.url));

/** `--kind` takes a role or the node kind that asks for it. */
const KIND_ROLES: Record<string, ModelRole> = {
  embedder: 'embedder',
  classifier: 'classifier',
  'cross-encoder': 'cross-encoder',
  reranker: 'cross-encoder',
  ner: 'token-classifier',
  'token-classifier': 'token-classifier',
  llm: 'causal-lm',
  'causal-lm': 'causal-lm',
};

export interface InspectOptions {
  kind?: string;
  pooling?: string;
  modelsDir?: string;
  json?: boolean;
}

/** A folder path, or a model string as a node config names it (builtin:<name>, or a name under --models-dir). */
function folderOf(folder: string, modelsDir: string): string {
  if (folder.startsWith('builtin:')) return resolveModelDir(folder, modelsDir);
  if (existsSync(folder) && statSync(folder).isDirectory()) return resolve(folder);
  return resolveModelDir(folder, modelsDir);
}

/**
 * `beamline models inspect <folder>`: what each model node would do with the folder. Exit 0 when
 * the folder is readable (and fits --kind when given), 1 when it does not, 2 on a usage mistake.
 */
export function inspectCommand(folder: string, opts: InspectOptions = {}): number {
  const role = opts.kind === undefined ? undefined : KIND_ROLES[opts.kind];
  if (opts.kind !== undefined && !role) {
    process.stderr.write(`--kind: unknown kind "${opts.kind}" (known: ${Object.keys(KIND_ROLES).join(', ')})\n`);
    return 2;
  }
  let dir: string;
  try {
    dir = folderOf(folder, resolve(opts.modelsDir ?? process.env.BEAMLINE_MODELS_DIR ?? DEFAULT_MODELS_DIR));
  } catch (e) {
    const message = (e as Error).message.replace(/^config\.model: /, '');
    if (opts.json) printJson({ ok: false, folder, problems: [message] });
    else process.stderr.write(`${message}\n`);
    return 1;
  }
  const report = inspectFolder(dir, role ? [role] : MODEL_ROLES, opts.pooling ? { pooling: opts.pooling } : {});
  const ok = report.problems.length === 0 && (!role || report.fits[0]?.ok === true);
  if (opts.json) printJson({ ok, ...report });
  else process.stdout.write(`${formatReport(report)}\n`);
  return ok ? 0 : 1;
}

export function register(program: Command): void {
  const models = program.command('models').description('look at model folders');
  models
    .command('inspect')
    .description('what each model node would do with a model folder: inputs, outputs, pooling, dimension, labels, tokenizer, maximum length, and why it does not fit a kind')
    .argument('<folder>', 'a model folder, builtin:<name>, or a folder name under --models-dir')
    .option('--kind <kind>', `only this node kind or role (${Object.keys(KIND_ROLES).join(', ')}); exit 1 when the folder does not fit it`)
    .option('--pooling <pooling>', 'embedder pooling to check (auto, mean, cls, none)')
    .option('--models-dir <dir>', 'where model names are looked up (default: the project models/)')
    .option('--json', 'print one JSON document')
    .action((folder: string, opts: InspectOptions) => {
      process.exitCode = inspectCommand(folder, opts);
    });
}
