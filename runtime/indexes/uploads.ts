/**
 * Files uploaded for an index: <dataDir>/uploads/<index>/<file>. Every name is
 * checked before anything is written, each file is written under a temporary
 * name and renamed over the target (a link there is replaced, never followed),
 * and the folders on the way must be real folders inside the data directory.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, lstatSync, mkdirSync, openSync, readdirSync, realpathSync, renameSync, rmSync, writeSync } from 'node:fs';
import { extname, join, relative, isAbsolute } from 'node:path';
import { DOCUMENT_EXTENSIONS, parseDocuments } from '../retrieval/documents.js';
import { INDEX_NAME } from './names.js';

export interface UploadFile {
  name: string;
  data: Uint8Array;
}

/** A refused upload: the HTTP status, and the file (or field) it is about. */
export class UploadError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 | 409,
    readonly file?: string,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

export function uploadsDir(dataDir: string, index: string): string {
  return join(dataDir, 'uploads', index);
}

/** Why a client's file name cannot be stored as it is, or undefined when it can. */
export function badFileName(name: string): string | undefined {
  if (name.length === 0) return 'a file needs a name';
  if (name.length > 200) return 'a file name is at most 200 characters';
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'a file name must not hold control characters';
  if (isAbsolute(name) || /^[A-Za-z]:/.test(name) || name.startsWith('/') || name.startsWith('\\')) return 'an absolute path is not a file name';
  if (name.split(/[\\/]/).includes('..')) return 'a file name must not hold ".." segments';
  if (/[\\/]/.test(name)) return 'a file name must not hold folders (/ or \\)';
  if (name.startsWith('.')) return 'a file name must not start with "."';
  if (!DOCUMENT_EXTENSIONS.includes(extname(name).toLowerCase())) return `only ${DOCUMENT_EXTENSIONS.join(', ')} files can be ingested`;
  return undefined;
}

/** The text of one upload, or an UploadError naming the file: UTF-8, with at least one document in it. */
function checkedText(f: UploadFile): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(f.data);
  } catch {
    throw new UploadError(`${f.name}: not UTF-8 text`, 400, f.name);
  }
  let docs: ReturnType<typeof parseDocuments>;
  try {
    docs = parseDocuments(f.name, text);
  } catch (e) {
    throw new UploadError((e as Error).message, 400, f.name);
  }
  if (docs.length === 0) throw new UploadError(`${f.name}: has no text to ingest`, 400, f.name);
  return text;
}

function inside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** mkdir -p of dataDir/uploads/<index>, refusing a link or a non-folder on the way. */
function ensureRealDir(dataDir: string, index: string): string {
  mkdirSync(dataDir, { recursive: true });
  const root = realpathSync(dataDir);
  let dir = root;
  for (const part of ['uploads', index]) {
    dir = join(dir, part);
    try {
      mkdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const st = lstatSync(dir);
    if (!st.isDirectory() || st.isSymbolicLink()) throw new UploadError(`${relative(root, dir)} in the data directory is not a plain folder; refusing to write through it`, 409);
  }
  if (!inside(realpathSync(dir), root)) throw new UploadError(`uploads for index ${index} would leave the data directory`, 409);
  return dir;
}

/**
 * Store the files for `index`: all are checked first (name, type, UTF-8, some text),
 * then written; a file of the same name is replaced. Returns what was stored.
 */
export function saveUploads(dataDir: string, index: string, files: readonly UploadFile[]): { name: string; bytes: number }[] {
  if (!INDEX_NAME.test(index)) throw new UploadError(`index name "${index}" must be 1-64 letters, digits, _ or -`, 400);
  if (files.length === 0) throw new UploadError('no files: send multipart/form-data with one or more "file" parts', 400);
  const seen = new Set<string>();
  for (const f of files) {
    const bad = badFileName(f.name);
    if (bad) throw new UploadError(`${JSON.stringify(f.name)}: ${bad}`, 400, f.name);
    if (seen.has(f.name)) throw new UploadError(`${f.name}: sent twice in one upload`, 400, f.name);
    seen.add(f.name);
    checkedText(f);
  }
  const dir = ensureRealDir(dataDir, index);
  const out: { name: string; bytes: number }[] = [];
  for (const f of files) {
    const tmp = join(dir, `.upload-${randomBytes(6).toString('hex')}`);
    // O_EXCL|O_NOFOLLOW: a fresh file of our own, never an existing one or a link's target.
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o644);
    try {
      let off = 0;
      while (off < f.data.length) off += writeSync(fd, f.data, off);
    } catch (e) {
      closeSync(fd);
      rmSync(tmp, { force: true });
      throw e;
    }
    closeSync(fd);
    // rename() replaces whatever entry has the name (a link included) instead of writing through it.
    renameSync(tmp, join(dir, f.name));
    out.push({ name: f.name, bytes: f.data.length });
  }
  return out;
}

/** The files stored for an index, by name; none when nothing was uploaded. */
export function listUploads(dataDir: string, index: string): { name: string; bytes: number }[] {
  const dir = uploadsDir(dataDir, index);
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  const out: { name: string; bytes: number }[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const st = lstatSync(join(dir, name));
    if (st.isFile()) out.push({ name, bytes: st.size });
  }
  return out;
}
