/**
 * Retrievers and the indexes they read: which index each retriever needs, with
 * which embedder, which are missing, and which were built with another embedder.
 */
import type { IndexInfo, IngestJob } from '../../shared/protocol.js';

export const DEFAULT_EMBEDDER = 'builtin:glove-100d';
export const DEFAULT_INDEX = 'default';
/** What POST /api/indexes/:name/files accepts. */
export const UPLOAD_TYPES = ['.md', '.txt', '.jsonl'] as const;
export const INDEX_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export interface RetrieverNeed {
  node: string;
  index: string;
  docs?: string;
  /** Model of the embedder feeding the retriever's vector input (what the index must be built with). */
  embedder: string;
  /** The retriever's chunking, used when its index is built from `docs`. */
  chunkSize?: number;
  chunkOverlap?: number;
}

/** What retrieversOf reads: a graph file, or the canvas's nodes and edges. */
export interface GraphShape {
  nodes: readonly { id: string; kind: string; config: unknown }[];
  edges: readonly { source: string; target: string; targetHandle?: string | null }[];
}

/** Every retriever of the graph with the index it reads and the embedder in front of it. */
export function retrieversOf(graph: GraphShape): RetrieverNeed[] {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  return graph.nodes
    .filter((n) => n.kind === 'retriever')
    .map((n) => {
      const cfg = (n.config ?? {}) as { index?: unknown; docs?: unknown; chunkSize?: unknown; chunkOverlap?: unknown };
      const feed = graph.edges.find((e) => e.target === n.id && e.targetHandle === 'vector');
      const src = feed && byId.get(feed.source);
      const model = src?.kind === 'embedder' ? ((src.config ?? {}) as { model?: unknown }).model : undefined;
      return {
        node: n.id,
        index: typeof cfg.index === 'string' && cfg.index ? cfg.index : DEFAULT_INDEX,
        ...(typeof cfg.docs === 'string' && cfg.docs ? { docs: cfg.docs } : {}),
        embedder: typeof model === 'string' && model ? model : DEFAULT_EMBEDDER,
        ...(typeof cfg.chunkSize === 'number' ? { chunkSize: cfg.chunkSize } : {}),
        ...(typeof cfg.chunkOverlap === 'number' ? { chunkOverlap: cfg.chunkOverlap } : {}),
      };
    });
}

/** Retrievers whose index does not exist (nothing is known missing before the list has loaded). */
export function missingIndexes(graph: GraphShape, indexes: readonly IndexInfo[] | null): RetrieverNeed[] {
  if (!indexes) return [];
  const have = new Set(indexes.map((i) => i.name));
  return retrieversOf(graph).filter((r) => !have.has(r.index));
}

/** Why a retriever cannot read its index although it exists: built with another embedder. */
export function embedderMismatch(need: RetrieverNeed, indexes: readonly IndexInfo[] | null): string | undefined {
  const info = indexes?.find((i) => i.name === need.index);
  if (!info?.model || info.model === need.embedder) return undefined;
  return `index "${need.index}" was built with ${info.model}, but ${need.node} is fed by ${need.embedder}`;
}

/** Whether a file may be uploaded into an index, or why not. */
export function uploadProblem(name: string): string | undefined {
  const lower = name.toLowerCase();
  return UPLOAD_TYPES.some((t) => lower.endsWith(t)) ? undefined : `${name}: only ${UPLOAD_TYPES.join(', ')} files can be indexed`;
}

/** Progress of an ingest job from 0 to 1 (a finished job is 1 even when it had nothing to embed). */
export function jobProgress(job: Pick<IngestJob, 'state' | 'done' | 'total'>): number {
  if (job.state === 'done') return 1;
  return job.total > 0 ? Math.min(1, job.done / job.total) : 0;
}

export const jobFinished = (job: Pick<IngestJob, 'state'>) => job.state === 'done' || job.state === 'failed' || job.state === 'cancelled';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
