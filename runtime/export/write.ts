import { cpSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { BUILTIN_MODELS_DIR } from '../models/resolve.js';
import type { ExportResult } from './export.js';

export interface WriteOptions {
  /** Where model paths named in configs are found (builtin: models come from the project). */
  modelsDir: string;
  /** Where retriever indexes live (<dataDir>/indexes/<name>). */
  dataDir: string;
  /** Copy models and indexes next to the app (the Dockerfile COPYs them). */
  copyAssets: boolean;
}

/** Writes the export's files and copies the models and indexes it needs; returns what it could not find. */
export function writeExport(dir: string, result: ExportResult, opts: WriteOptions): { written: string[]; missing: string[] } {
  const written: string[] = [];
  const missing: string[] = [];
  for (const [rel, content] of result.files) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    written.push(rel);
  }
  // The Dockerfile COPYs these folders, so they exist even when empty.
  for (const d of ['models', 'data/indexes']) {
    mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, d, '.keep'), '');
  }
  if (!opts.copyAssets) return { written, missing };
  for (const model of result.models) {
    const builtin = /^builtin:(.+)$/.exec(model);
    const from = builtin ? join(BUILTIN_MODELS_DIR, builtin[1]) : resolve(opts.modelsDir, model);
    const to = join(dir, 'models', builtin ? join('builtin', builtin[1]) : model);
    if (model.split(/[\\/]/).includes('..') || !existsSync(from)) {
      missing.push(`model ${model} (looked in ${from}); copy it to ${to}`);
      continue;
    }
    cpSync(from, to, { recursive: statSync(from).isDirectory() });
  }
  for (const index of result.indexes) {
    const from = resolve(opts.dataDir, 'indexes', index);
    const to = join(dir, 'data', 'indexes', index);
    if (!existsSync(join(from, 'meta.json'))) {
      missing.push(`retriever index ${index} (looked in ${from}; run beamline ingest); copy it to ${to}`);
      continue;
    }
    cpSync(from, to, { recursive: true });
  }
  return { written, missing };
}
