/**
 * What a deploy needs from the data directory: each retriever's index built
 * (from its `docs`, as an ingest job with progress, when missing) and built
 * with the same embedder the graph embeds queries with.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { type GraphError, jsonPath } from '../../shared/errors.js';
import type { Plan } from '../../shared/plan.js';
import { embedderFor, retrieverNodes } from '../ingest.js';
import { resolveModelDir } from '../models/resolve.js';
import { indexExists } from '../retrieval/index-files.js';
import { resolveInside } from '../security/paths.js';
import type { IngestJobs } from './jobs.js';

export interface IndexNeeds {
  dataDir: string;
  modelsDir: string;
  /** Folder of the graph file, when it came from one: `docs` resolve against it first. */
  graphDir?: string;
}

interface RetrieverIndex {
  node: string;
  index: string;
  docs?: string;
  /** JSON path of the node in the document, for errors. */
  at: number;
  chunkSize: number;
  chunkOverlap: number;
  /** The embedder config that feeds the retriever, when one does. */
  embedder?: Record<string, unknown>;
}

function retrievers(plan: Plan): RetrieverIndex[] {
  return retrieverNodes(plan).map((n) => {
    const cfg = n.config as { index: string; docs?: string; chunkSize: number; chunkOverlap: number };
    let embedder: Record<string, unknown> | undefined;
    try {
      embedder = embedderFor(plan, n.id).config;
    } catch {}
    return {
      node: n.id,
      index: cfg.index,
      ...(cfg.docs !== undefined ? { docs: cfg.docs } : {}),
      at: plan.graph.nodes.findIndex((g) => g.id === n.id),
      chunkSize: cfg.chunkSize,
      chunkOverlap: cfg.chunkOverlap,
      ...(embedder ? { embedder } : {}),
    };
  });
}

/** Retrievers whose index does not exist (yet): the preview lists them, deploy builds those with `docs`. */
export function missingIndexes(plan: Plan, dataDir: string): { node: string; index: string; docs?: string }[] {
  return retrievers(plan)
    .filter((r) => !indexExists(dataDir, r.index))
    .map((r) => ({ node: r.node, index: r.index, ...(r.docs !== undefined ? { docs: r.docs } : {}) }));
}

/** Two model strings name the same model when they resolve to the same folder ('glove-100d' in models/ and 'builtin:glove-100d'). */
export function sameModel(a: string, b: string, modelsDir: string): boolean {
  if (a === b) return true;
  try {
    return realpathSync(resolveModelDir(a, modelsDir)) === realpathSync(resolveModelDir(b, modelsDir));
  } catch {
    return false;
  }
}

function builtWith(dataDir: string, index: string): string | undefined {
  try {
    const model = (JSON.parse(readFileSync(join(dataDir, 'indexes', index, 'meta.json'), 'utf8')) as { model?: unknown }).model;
    return typeof model === 'string' ? model : undefined;
  } catch {
    return undefined;
  }
}

/** A retriever whose index was embedded with another model than the graph's embedder: scores would be meaningless. */
export function embedderMismatches(plan: Plan, needs: IndexNeeds): GraphError[] {
  const errors: GraphError[] = [];
  for (const r of retrievers(plan)) {
    const model = r.embedder?.model;
    const built = builtWith(needs.dataDir, r.index);
    if (typeof model !== 'string' || built === undefined || sameModel(built, model, needs.modelsDir)) continue;
    errors.push({
      code: 'invalid_config',
      node: r.node,
      path: jsonPath(['nodes', r.at, 'config', 'index']),
      message: `index "${r.index}" was built with embedder ${built}, but this graph embeds queries with ${model}`,
      fix: `rebuild the index with ${model} (POST /api/indexes/${r.index}/ingest, or beamline ingest), or embed with ${built}`,
    });
  }
  return errors;
}

export type Prepared = { ok: true } | { ok: false; status: 400; error: string; errors: GraphError[] };

/**
 * Before the replicas start: wait for a build of the same index already running,
 * build each missing index whose retriever names `docs` (an ingest job, so the
 * editor sees its progress), then refuse embedder mismatches.
 */
export async function prepareIndexes(plan: Plan, needs: IndexNeeds, jobs: IngestJobs, log: (m: string) => void): Promise<Prepared> {
  const errors: GraphError[] = [];
  for (const r of retrievers(plan)) {
    await jobs.current(r.index)?.done;
    if (indexExists(needs.dataDir, r.index) || r.docs === undefined || !r.embedder) continue;
    const docsPath = jsonPath(['nodes', r.at, 'config', 'docs']);
    const roots = needs.graphDir ? [needs.graphDir, needs.dataDir] : [needs.dataDir];
    const docsDir = resolveInside(r.docs, roots);
    if (docsDir === undefined) {
      errors.push({ code: 'invalid_config', node: r.node, path: docsPath, message: `docs: "${r.docs}" must be a folder inside ${roots.join(' or ')}` });
      continue;
    }
    log(`retriever ${r.node}: index "${r.index}" is missing; building it from ${docsDir}`);
    const started = jobs.start({ index: r.index, docsDir, embedder: r.embedder, chunkSize: r.chunkSize, chunkOverlap: r.chunkOverlap });
    // Another deploy started the same build between the wait above and here: wait for it instead.
    const end = started.ok ? await started.done : await jobs.current(r.index)?.done;
    if (end && end.state !== 'done' && !indexExists(needs.dataDir, r.index)) {
      errors.push({
        code: 'invalid_config',
        node: r.node,
        path: docsPath,
        message: `could not build index "${r.index}" from ${r.docs}: ${end.error ?? end.state}`,
        fix: 'put .md, .txt or .jsonl files with text in that folder, or upload them (POST /api/indexes/<index>/files)',
      });
    }
  }
  errors.push(...embedderMismatches(plan, needs));
  if (errors.length === 0) return { ok: true };
  return { ok: false, status: 400, error: errors.map((e) => `node ${e.node}: ${e.message}`).join('; '), errors };
}
