import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUILTIN_KINDS, Catalog } from '../../shared/catalog/index.js';
import { type CompileResult, compile } from '../../shared/compile.js';
import { definedNodesOf } from '../define-node.js';
import { TuneError } from '../tune/errors.js';
import { fmtFigure } from '../tune/format.js';
import { parseJsonText, readInputFile } from './read-file.js';

/** What `profile` and `tune` share: the graph file compiled with any --nodes kinds, and its raw document. */
export interface LoadedGraph {
  file: string;
  dir: string;
  /** The document as written (what --apply edits, so the file keeps its shape). */
  doc: Record<string, unknown>;
  compiled: CompileResult;
  /** Custom kind modules as file URLs (the replicas import them). */
  modules: string[];
}

export async function loadGraph(file: string, nodes: string[] = []): Promise<LoadedGraph | { error: string }> {
  const read = readInputFile(file);
  const json = read.ok ? parseJsonText(read.text, file) : read;
  if (!json.ok) return { error: json.error.message };
  const modules: string[] = [];
  const kinds = [];
  for (const m of nodes) {
    const url = pathToFileURL(isAbsolute(m) ? m : resolve(m)).href;
    let found: ReturnType<typeof definedNodesOf>;
    try {
      found = definedNodesOf(await import(url));
    } catch (e) {
      return { error: `--nodes ${m}: ${(e as Error).message}` };
    }
    if (!found.length) return { error: `--nodes ${m} exports no defineNode() kinds` };
    modules.push(url);
    kinds.push(...found);
  }
  const compiled = compile(json.value, new Catalog([...BUILTIN_KINDS, ...kinds]));
  return { file, dir: dirname(resolve(file)), doc: json.value as Record<string, unknown>, compiled, modules };
}

/** A TuneError (or any error) as the CLI prints it: the message, then the fix. */
export function tuneErrorText(e: unknown): string {
  if (e instanceof TuneError) return `error: ${e.message}${e.fix ? ` (fix: ${e.fix})` : ''}`;
  return `error: ${(e as Error).message ?? String(e)}`;
}

/** "250ms", "0.25s", "250" (ms) -> milliseconds; NaN when not one of those. */
export function parseDurationMs(s: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/.exec(s);
  if (!m) return Number.NaN;
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}

export const fmtMs = (x: number) => (Number.isFinite(x) ? `${fmtFigure(x)} ms` : '∞');
export const fmtQps = (x: number) => (Number.isFinite(x) ? `${fmtFigure(x)} req/s` : '∞');
