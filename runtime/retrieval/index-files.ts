/**
 * The retriever index on disk, shared with `beamline ingest` and the Ray Serve
 * exporter's Python retriever: <dataDir>/indexes/<name>/{meta.json, vectors.f32, chunks.jsonl}.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';

export const INDEX_FORMAT = 'beamline-index';
export const INDEX_VERSION = 1;
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

export interface IndexMeta {
  format: typeof INDEX_FORMAT;
  version: typeof INDEX_VERSION;
  dim: number;
  count: number;
  model: string;
  normalized: true;
  createdAt: string;
  chunkSize: number;
  chunkOverlap: number;
}

export interface ChunkRecord {
  id: number;
  text: string;
  source: string;
  chunk: number;
}

export interface LoadedIndex {
  name: string;
  dir: string;
  meta: IndexMeta;
  /** count x dim, row-major, rows L2-normalised. */
  vectors: Float32Array;
  chunks: ChunkRecord[];
}

/** An index that is missing or unreadable; the message names the index and the path. */
export class IndexError extends Error {
  constructor(
    message: string,
    readonly index: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'IndexError';
  }
}

export function indexDir(dataDir: string, name: string): string {
  if (!NAME.test(name)) throw new IndexError(`index name "${name}" must be 1-64 letters, digits, _ or -`, name, dataDir);
  return join(dataDir, 'indexes', name);
}

export function indexExists(dataDir: string, name: string): boolean {
  return existsSync(join(indexDir(dataDir, name), 'meta.json'));
}

export function readIndex(dataDir: string, name: string): LoadedIndex {
  const dir = indexDir(dataDir, name);
  const metaPath = join(dir, 'meta.json');
  if (!existsSync(metaPath)) {
    throw new IndexError(`index "${name}" not found: ${metaPath} does not exist (build it with: beamline ingest <graph.json> --docs <folder>)`, name, metaPath);
  }
  let meta: IndexMeta;
  try {
    meta = JSON.parse(readFileSync(metaPath, 'utf8'));
  } catch (e) {
    throw new IndexError(`index "${name}": ${metaPath} is not valid JSON: ${(e as Error).message}`, name, metaPath);
  }
  if (meta?.format !== INDEX_FORMAT || meta.version !== INDEX_VERSION) {
    throw new IndexError(`index "${name}": ${metaPath} is not a ${INDEX_FORMAT} version ${INDEX_VERSION} index`, name, metaPath);
  }
  if (!Number.isInteger(meta.dim) || meta.dim < 1 || !Number.isInteger(meta.count) || meta.count < 0) {
    throw new IndexError(`index "${name}": ${metaPath} has a bad dim or count`, name, metaPath);
  }
  const vectorsPath = join(dir, 'vectors.f32');
  const want = meta.count * meta.dim * 4;
  const size = existsSync(vectorsPath) ? statSync(vectorsPath).size : -1;
  if (size !== want) {
    const got = size < 0 ? 'is missing' : `has ${size} bytes`;
    throw new IndexError(`index "${name}": ${vectorsPath} ${got}, expected ${want} (${meta.count} x ${meta.dim} float32)`, name, vectorsPath);
  }
  const vectors = readFloat32LE(readFileSync(vectorsPath));
  const chunksPath = join(dir, 'chunks.jsonl');
  if (!existsSync(chunksPath)) throw new IndexError(`index "${name}": ${chunksPath} is missing`, name, chunksPath);
  const lines = readFileSync(chunksPath, 'utf8').split('\n').filter((l) => l.length > 0);
  if (lines.length !== meta.count) {
    throw new IndexError(`index "${name}": ${chunksPath} has ${lines.length} lines, meta.json says ${meta.count}`, name, chunksPath);
  }
  const chunks = lines.map((line, i) => {
    try {
      const c = JSON.parse(line) as ChunkRecord;
      if (typeof c.text !== 'string' || typeof c.source !== 'string') throw new Error('needs "text" and "source" strings');
      return { id: i, text: c.text, source: c.source, chunk: Number(c.chunk ?? 0) };
    } catch (e) {
      throw new IndexError(`index "${name}": ${chunksPath} line ${i + 1}: ${(e as Error).message}`, name, chunksPath);
    }
  });
  return { name, dir, meta, vectors, chunks };
}

function readFloat32LE(buf: Buffer): Float32Array {
  const out = new Float32Array(buf.length / 4);
  if (endianness() === 'LE') new Uint8Array(out.buffer).set(buf);
  else for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

function float32LE(v: Float32Array): Buffer {
  if (endianness() === 'LE') return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  const buf = Buffer.alloc(v.length * 4);
  for (let i = 0; i < v.length; i++) buf.writeFloatLE(v[i], i * 4);
  return buf;
}

/** Scales each row to unit length in place (zero rows stay zero). */
export function normalizeRows(vectors: Float32Array, dim: number): Float32Array {
  for (let off = 0; off < vectors.length; off += dim) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += vectors[off + j] * vectors[off + j];
    const n = Math.sqrt(s);
    if (n > 0) for (let j = 0; j < dim; j++) vectors[off + j] /= n;
  }
  return vectors;
}

/**
 * Writes into a temporary sibling directory and renames it into place, so a
 * reader sees the old index or the new one, never half of one.
 */
export function writeIndex(
  dataDir: string,
  name: string,
  parts: { dim: number; model: string; chunkSize: number; chunkOverlap: number; vectors: Float32Array; chunks: Omit<ChunkRecord, 'id'>[] },
): IndexMeta {
  const dir = indexDir(dataDir, name);
  const count = parts.chunks.length;
  if (parts.vectors.length !== count * parts.dim) {
    throw new IndexError(`index "${name}": ${parts.vectors.length} floats for ${count} chunks of dim ${parts.dim}`, name, dir);
  }
  const meta: IndexMeta = {
    format: INDEX_FORMAT,
    version: INDEX_VERSION,
    dim: parts.dim,
    count,
    model: parts.model,
    normalized: true,
    createdAt: new Date().toISOString(),
    chunkSize: parts.chunkSize,
    chunkOverlap: parts.chunkOverlap,
  };
  const parent = join(dataDir, 'indexes');
  mkdirSync(parent, { recursive: true });
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const tmp = join(parent, `.${name}.tmp-${suffix}`);
  mkdirSync(tmp);
  try {
    writeFileSync(join(tmp, 'vectors.f32'), float32LE(normalizeRows(Float32Array.from(parts.vectors), parts.dim)));
    const lines = parts.chunks.map((c, id) => JSON.stringify({ id, text: c.text, source: c.source, chunk: c.chunk }));
    writeFileSync(join(tmp, 'chunks.jsonl'), lines.length ? `${lines.join('\n')}\n` : '');
    writeFileSync(join(tmp, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
    // rename() cannot replace a non-empty directory: move the old one aside first.
    const old = join(parent, `.${name}.old-${suffix}`);
    const hadOld = existsSync(dir);
    if (hadOld) renameSync(dir, old);
    renameSync(tmp, dir);
    if (hadOld) rmSync(old, { recursive: true, force: true });
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return meta;
}
