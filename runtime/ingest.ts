/**
 * Builds a retriever's index from a docs folder with the graph's own embedder
 * node config (same model, same tokenisation as the queries), and writes it
 * atomically in the agreed format (runtime/retrieval/index-files.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { embedder as embedderKind } from '../shared/catalog/embedder.js';
import { retriever as retrieverKind } from '../shared/catalog/retriever.js';
import type { Plan, PlanNode } from '../shared/plan.js';
import { createEmbedder } from './nodes/embedder.js';
import { readDocuments } from './retrieval/documents.js';
import { resolveInside } from './security/paths.js';
import { type IndexMeta, indexDir, indexExists, writeIndex } from './retrieval/index-files.js';
import { chunkText } from './text/chunk.js';

export interface IngestProgress {
  phase: 'read' | 'embed' | 'write';
  done: number;
  total: number;
}

export interface IngestOptions {
  plan: Plan;
  /** Retriever node id; may be left out when the graph has one retriever. */
  retriever?: string;
  docsDir: string;
  dataDir: string;
  modelsDir: string;
  /** Index name; defaults to the retriever's config.index. */
  index?: string;
  batchSize?: number;
  log?: (message: string) => void;
  progress?: (p: IngestProgress) => void;
}

export interface IngestResult {
  node: string;
  index: string;
  dir: string;
  documents: number;
  meta: IndexMeta;
  ms: number;
}

export function retrieverNodes(plan: Plan): PlanNode[] {
  return plan.order.map((id) => plan.nodes[id]).filter((n) => n.kind === retrieverKind.kind);
}

export function pickRetriever(plan: Plan, id?: string): PlanNode {
  if (id !== undefined) {
    const n = plan.nodes[id];
    if (n?.kind !== retrieverKind.kind) throw new Error(`graph ${plan.name} has no retriever node "${id}"`);
    return n;
  }
  const all = retrieverNodes(plan);
  if (all.length === 0) throw new Error(`graph ${plan.name} has no retriever node`);
  if (all.length > 1) throw new Error(`graph ${plan.name} has several retrievers (${all.map((n) => n.id).join(', ')}): name one with --node`);
  return all[0];
}

/** The embedder whose vectors reach the retriever's `vector` input, else the graph's only embedder. */
export function embedderFor(plan: Plan, retrieverId: string): PlanNode {
  const seen = new Set<string>();
  const queue = plan.nodes[retrieverId].incoming.filter((e) => e.targetHandle === 'vector').map((e) => e.source);
  while (queue.length) {
    const id = queue.shift()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const n = plan.nodes[id];
    if (n.kind === embedderKind.kind) return n;
    queue.push(...n.upstream);
  }
  const all = plan.order.map((id) => plan.nodes[id]).filter((n) => n.kind === embedderKind.kind);
  if (all.length === 1) return all[0];
  throw new Error(`retriever ${retrieverId}: no embedder feeds its vector input, so ingest cannot know which model to use`);
}

export async function ingest(opts: IngestOptions): Promise<IngestResult> {
  const node = pickRetriever(opts.plan, opts.retriever);
  const cfg = node.config as { index: string; chunkSize: number; chunkOverlap: number };
  const built = await buildIndex({
    index: opts.index ?? cfg.index,
    docsDir: opts.docsDir,
    dataDir: opts.dataDir,
    modelsDir: opts.modelsDir,
    embedder: embedderFor(opts.plan, node.id).config,
    chunkSize: cfg.chunkSize,
    chunkOverlap: cfg.chunkOverlap,
    ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}),
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.progress ? { progress: opts.progress } : {}),
  });
  return { node: node.id, ...built };
}

export interface BuildIndexOptions {
  index: string;
  docsDir: string;
  dataDir: string;
  modelsDir: string;
  /** An embedder node's config ({model, pooling, ...}): the model the queries will be embedded with. */
  embedder: Record<string, unknown>;
  chunkSize: number;
  chunkOverlap: number;
  batchSize?: number;
  log?: (message: string) => void;
  progress?: (p: IngestProgress) => void;
  /** Checked between embedding batches: an aborted build throws and writes nothing. */
  signal?: AbortSignal;
}

/**
 * Chunk, embed and write one index. The new index is written beside the old one
 * and renamed into place at the end (writeIndex), so a build that fails or is
 * aborted leaves the previous index serving.
 */
export async function buildIndex(opts: BuildIndexOptions): Promise<Omit<IngestResult, 'node'>> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  const name = opts.index;
  const dir = indexDir(opts.dataDir, name);
  const aborted = () => {
    if (opts.signal?.aborted) throw new Error(`ingest ${name}: cancelled`);
  };

  const docs = readDocuments(opts.docsDir);
  if (docs.length === 0) throw new Error(`docs folder ${opts.docsDir} holds no .md, .txt or .jsonl text`);
  const overlap = Math.min(opts.chunkOverlap, opts.chunkSize - 1);
  const chunks = docs.flatMap((d) =>
    chunkText(d.text, { mode: 'sentence', size: opts.chunkSize, overlap }).map((c, i) => ({ text: c.text, source: d.source, chunk: i })),
  );
  opts.progress?.({ phase: 'read', done: docs.length, total: docs.length });
  log(`ingest ${name}: ${docs.length} documents -> ${chunks.length} chunks (size ${opts.chunkSize}, overlap ${overlap})`);
  aborted();

  const embedder = await createEmbedder(opts.embedder, { modelsDir: opts.modelsDir, device: { type: 'cpu' }, log });
  let vectors: Float32Array;
  try {
    vectors = new Float32Array(chunks.length * embedder.dim);
    const size = opts.batchSize ?? 32;
    for (let i = 0; i < chunks.length; i += size) {
      aborted();
      const batch = chunks.slice(i, i + size);
      const vs = await embedder.embed(batch.map((c) => c.text));
      for (let k = 0; k < vs.length; k++) vectors.set(vs[k], (i + k) * embedder.dim);
      const done = i + batch.length;
      opts.progress?.({ phase: 'embed', done, total: chunks.length });
      log(`ingest ${name}: embedded ${done}/${chunks.length} chunks`);
    }
  } finally {
    await embedder.close();
  }
  aborted();
  const meta = writeIndex(opts.dataDir, name, { dim: embedder.dim, model: embedder.model, chunkSize: opts.chunkSize, chunkOverlap: overlap, vectors, chunks });
  opts.progress?.({ phase: 'write', done: 1, total: 1 });
  const ms = Math.round(performance.now() - t0);
  log(`ingest ${name}: wrote ${meta.count} vectors of dim ${meta.dim} to ${dir} in ${ms} ms`);
  return { index: name, dir, documents: docs.length, meta, ms };
}

export interface EnsureIndexOptions {
  dataDir: string;
  modelsDir: string;
  /** Folder of the graph file: retriever `docs` paths are relative to it. */
  graphDir?: string;
  log?: (message: string) => void;
  progress?: (node: string, p: IngestProgress) => void;
}

/**
 * For the runtime's first start: builds each retriever index that is missing
 * and whose config names `docs` (relative to the graph's folder when it came
 * from a file, else to the data directory). Existing indexes are left alone.
 */
export async function ensureIndex(plan: Plan, opts: EnsureIndexOptions): Promise<IngestResult[]> {
  const built: IngestResult[] = [];
  for (const node of retrieverNodes(plan)) {
    const cfg = node.config as { index: string; docs?: string };
    if (indexExists(opts.dataDir, cfg.index)) {
      warnIfStale(plan, node.id, opts);
      continue;
    }
    if (!cfg.docs) continue;
    // A graph may come over the API: its docs must stay inside the graph's folder or the
    // data directory (the same rule the deploy-time path check applies to config.docs).
    const roots = opts.graphDir ? [opts.graphDir, opts.dataDir] : [opts.dataDir];
    const docsDir = resolveInside(cfg.docs, roots);
    if (docsDir === undefined) {
      throw new Error(`retriever ${node.id}: config.docs "${cfg.docs}" must be a folder inside ${roots.join(' or ')}`);
    }
    opts.log?.(`retriever ${node.id}: index "${cfg.index}" is missing; building it from ${docsDir}`);
    built.push(
      await ingest({
        plan,
        retriever: node.id,
        docsDir,
        dataDir: opts.dataDir,
        modelsDir: opts.modelsDir,
        ...(opts.log ? { log: opts.log } : {}),
        ...(opts.progress ? { progress: (p: IngestProgress) => opts.progress!(node.id, p) } : {}),
      }),
    );
  }
  return built;
}

/** An index embedded with another model than the graph's embedder gives meaningless scores: say so. */
function warnIfStale(plan: Plan, retrieverId: string, opts: EnsureIndexOptions): void {
  const name = (plan.nodes[retrieverId].config as { index: string }).index;
  let model: string | undefined;
  try {
    model = (embedderFor(plan, retrieverId).config as { model?: string }).model;
  } catch {
    return;
  }
  try {
    const meta = JSON.parse(readFileSync(join(indexDir(opts.dataDir, name), 'meta.json'), 'utf8')) as { model?: string };
    if (model !== undefined && meta.model !== model) {
      opts.log?.(`retriever ${retrieverId}: index "${name}" was embedded with ${meta.model}, the graph embeds queries with ${model}; rebuild it with beamline ingest`);
    }
  } catch {
    // An unreadable index is reported by the retriever itself, with its path.
  }
}
