/**
 * The indexes under <dataDir>/indexes: what GET /api/indexes lists and what
 * DELETE removes. Temporary build folders (.<name>.tmp-*) are not indexes.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { IndexInfo } from '../../shared/protocol.js';
import type { IndexMeta } from '../retrieval/index-files.js';
import { INDEX_NAME } from './names.js';
import { uploadsDir } from './uploads.js';

interface Counted {
  createdAt: string;
  documents: number;
  bytes: number;
}
/** Distinct sources per index, kept until the index is rebuilt (createdAt changes): chunks.jsonl is read once. */
const counted = new Map<string, Counted>();

function describe(dataDir: string, name: string): Omit<IndexInfo, 'building'> | undefined {
  const dir = join(dataDir, 'indexes', name);
  let meta: IndexMeta;
  try {
    meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as IndexMeta;
  } catch {
    return undefined;
  }
  const key = `${dataDir}\0${name}`;
  let c = counted.get(key);
  if (!c || c.createdAt !== meta.createdAt) {
    let documents = 0;
    let bytes = 0;
    try {
      const sources = new Set<string>();
      for (const line of readFileSync(join(dir, 'chunks.jsonl'), 'utf8').split('\n')) {
        if (!line) continue;
        try {
          sources.add(String((JSON.parse(line) as { source?: unknown }).source).replace(/#\d+$/, ''));
        } catch {}
      }
      documents = sources.size;
      for (const f of readdirSync(dir)) bytes += statSync(join(dir, f)).size;
    } catch {}
    c = { createdAt: meta.createdAt, documents, bytes };
    counted.set(key, c);
  }
  return { name, chunks: meta.count, documents: c.documents, dim: meta.dim, model: meta.model, bytes: c.bytes, createdAt: meta.createdAt };
}

/** Every built index, plus those being built for the first time (zeros until done), by name. */
export function listIndexes(dataDir: string, building: ReadonlySet<string>): IndexInfo[] {
  let names: string[] = [];
  try {
    names = readdirSync(join(dataDir, 'indexes')).filter((n) => INDEX_NAME.test(n));
  } catch {}
  const out: IndexInfo[] = [];
  for (const name of new Set([...names, ...building])) {
    const d = describe(dataDir, name);
    if (d) out.push({ ...d, building: building.has(name) });
    else if (building.has(name)) out.push({ name, chunks: 0, documents: 0, dim: 0, model: '', bytes: 0, createdAt: '', building: true });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

export function indexInfo(dataDir: string, name: string, building: boolean): IndexInfo | undefined {
  const d = describe(dataDir, name);
  return d && { ...d, building };
}

/** Remove an index and its uploaded files; false when neither exists. The folder is renamed away first, so readers never see half of it. */
export function deleteIndex(dataDir: string, name: string): boolean {
  const dir = join(dataDir, 'indexes', name);
  const uploads = uploadsDir(dataDir, name);
  const had = existsSync(dir) || existsSync(uploads);
  if (existsSync(dir)) {
    const gone = join(dataDir, 'indexes', `.${name}.deleted-${process.pid}-${Date.now()}`);
    renameSync(dir, gone);
    rmSync(gone, { recursive: true, force: true });
  }
  rmSync(uploads, { recursive: true, force: true });
  counted.delete(`${dataDir}\0${name}`);
  return had;
}
